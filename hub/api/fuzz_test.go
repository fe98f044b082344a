package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/conferences"
	"conference/hub/hubapp/hubtest"
	"conference/hub/readmodels"
	registrationsapp "conference/hub/registrations"
	"conference/shared/registrations"
)

// checkDecoded fails unless err is nil or a client error: a decoder may
// refuse anything, but only with a 4xx *Error.
func checkDecoded(t *testing.T, data []byte, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var ae *Error
	if !errors.As(err, &ae) {
		t.Fatalf("decode %q: error %T %v is not an API error", data, err, err)
	}
	if ae.Status < 400 || ae.Status >= 500 || ae.Code == "" || ae.Message == "" {
		t.Fatalf("decode %q: %+v, want a 4xx with a code and a message", data, ae)
	}
	if _, err := json.Marshal(errorBody{Error: ae}); err != nil {
		t.Fatalf("error body does not encode: %v", err)
	}
}

func FuzzPlaceOrderDecoder(f *testing.F) {
	f.Add([]byte(`{"seats":[{"seat_type":"0190a4c4-1111-7000-8000-000000000000","quantity":2}],"promo_code":"EARLY"}`))
	f.Add([]byte(`{"seats":[{"seat_type":"x","quantity":-1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var in placeOrderInput
		err := decodeBody(data, &in)
		if err == nil {
			seats, err := in.seats()
			checkDecoded(t, data, err)
			if err == nil {
				for _, s := range seats {
					if s.Quantity <= 0 || s.Quantity > 10_000 {
						t.Fatalf("decode %q: accepted quantity %d", data, s.Quantity)
					}
				}
			}
			return
		}
		checkDecoded(t, data, err)
	})
}

func FuzzConferenceDecoder(f *testing.F) {
	f.Add([]byte(`{"slug":"go-conf","name":"Go","time_zone":"Europe/Lisbon","currency":"EUR","starts_at":"2030-01-01T09:00:00Z","ends_at":"2030-01-02T09:00:00Z","reservation_window_minutes":20}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var in conferenceInput
		err := decodeBody(data, &in)
		if err == nil {
			var d any
			d, err = in.details()
			_ = d
		}
		checkDecoded(t, data, err)
	})
}

func FuzzSeatTypeDecoder(f *testing.F) {
	f.Add([]byte(`{"name":"Workshop","price":{"amount":4900,"currency":"EUR"},"quota":10,"on_site":{"sellable_at_kiosks":true,"kiosk_allocation_size":2}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var in seatTypeInput
		err := decodeBody(data, &in)
		if err == nil {
			_ = in.details()
		}
		checkDecoded(t, data, err)
	})
}

func FuzzAssignSeatsDecoder(f *testing.F) {
	f.Add([]byte(`{"assignments":[{"position":0,"attendee":{"name":"Ada","email":"ada@example.com","company":"Engines"}},{"position":1,"attendee":null}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var in assignSeatsInput
		err := decodeBody(data, &in)
		if err == nil {
			var changes []registrationsapp.Assignment
			changes, err = in.changes()
			for _, ch := range changes {
				if ch.Position < 0 {
					t.Fatalf("decode %q: accepted position %d", data, ch.Position)
				}
			}
		}
		checkDecoded(t, data, err)
	})
}

func FuzzRegistrantDecoder(f *testing.F) {
	f.Add([]byte(`{"name":"Ada Lovelace","email":"ada@example.com"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var in registrantInput
		checkDecoded(t, data, decodeBody(data, &in))
	})
}

// FuzzAccessCodeLookup drives POST /orders/lookup of a real hub with one
// confirmed order whose registrant is known: only its exact code (in any
// case, with or without the hyphen) and email find it; everything else is
// a 4xx that says nothing about which part was wrong.
func FuzzAccessCodeLookup(f *testing.F) {
	h := hubtest.Open(f)
	fx := hubtest.PublishedConference(f, h)
	ctx := context.Background()
	placed, err := h.Registrations.PlaceOrder(ctx, fx.ConferenceID, seatsOf(fx.Free, 1), "", h.Now())
	if err != nil {
		f.Fatal(err)
	}
	if err := h.Registrations.SetRegistrant(ctx, placed.OrderID, "Ada Lovelace", "ada@example.com"); err != nil {
		f.Fatal(err)
	}
	e := echo.New()
	if err := Register(e, h, Options{LookupBurst: 1 << 30, LookupRate: 1 << 30}); err != nil {
		f.Fatal(err)
	}

	f.Add(placed.AccessCode, "ada@example.com")
	f.Add(strings.ToLower(strings.ReplaceAll(placed.AccessCode, "-", "")), "ADA@example.com")
	f.Add("ABCD-EFGH", "ada@example.com")
	f.Add("", "")
	f.Add(placed.AccessCode, "")
	f.Add("%", "%")
	f.Add(strings.Repeat("A", 100), "a@b")
	f.Fuzz(func(t *testing.T, code, email string) {
		body, _ := json.Marshal(lookupInput{AccessCode: code, Email: email})
		r := httptest.NewRequest(http.MethodPost, Prefix+"/orders/lookup", bytes.NewReader(body))
		r.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		w := httptest.NewRecorder()
		e.ServeHTTP(w, r)
		match := readmodels.NormalizeAccessCode(code) == placed.AccessCode && strings.EqualFold(strings.TrimSpace(email), "ada@example.com")
		switch {
		case w.Code == http.StatusOK && !match:
			t.Fatalf("code %q email %q found an order: %s", code, email, w.Body)
		case w.Code == http.StatusOK:
			var o orderJSON
			if err := json.Unmarshal(w.Body.Bytes(), &o); err != nil || o.OrderID != placed.OrderID {
				t.Fatalf("found %s, want order %s", w.Body, placed.OrderID)
			}
		case w.Code >= 500:
			t.Fatalf("code %q email %q: status %d: %s", code, email, w.Code, w.Body)
		case match:
			t.Fatalf("the right code %q and email %q did not find the order: %d %s", code, email, w.Code, w.Body)
		}
	})
}

func seatsOf(seatType uuid.UUID, n int) registrations.Seats {
	return registrations.Seats{{SeatType: seatType, Quantity: n}}
}

func FuzzPromoCodeDecoder(f *testing.F) {
	f.Add([]byte(`{"code":"EARLY","kind":"amount","amount":{"amount":500,"currency":"EUR"},"seat_type":null,"valid_until":"2030-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"kind":"percentage","percent":20,"seat_type":"0190a4c4-1111-7000-8000-000000000000","max_uses":3}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var in promoInput
		err := decodeBody(data, &in)
		if err != nil {
			checkDecoded(t, data, err)
			return
		}
		// What decodes, the domain judges: with a field to blame.
		var ve *conferences.ValidationError
		if err := in.details("CODE").Normalize().Validate(); err != nil && !errors.As(err, &ve) {
			t.Fatalf("decode %q: %v is not a validation error", data, err)
		}
	})
}

func FuzzResolutionDecoder(f *testing.F) {
	f.Add([]byte(`{"kind":"move_seats","to_seat_type":"0190a4c4-1111-7000-8000-000000000000","note":"hall"}`))
	f.Add([]byte(`{"kind":"refund"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var in resolutionInput
		err := decodeBody(data, &in)
		if err == nil {
			var r registrations.Resolution
			r, err = in.resolution()
			if err == nil && (r.Kind == registrations.ResolveMoveSeats) != (r.ToSeatType != uuid.Nil) {
				t.Fatalf("decode %q: accepted %+v", data, r)
			}
		}
		checkDecoded(t, data, err)
	})
}

func FuzzJoinWaitlistDecoder(f *testing.F) {
	f.Add([]byte(`{"seat_type":"0190a4c4-1111-7000-8000-000000000000","quantity":2,"name":"Ada Lovelace","email":"ada@example.com"}`))
	f.Add([]byte(`{"seat_type":"00000000-0000-0000-0000-000000000000","quantity":0}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var in joinWaitlistInput
		err := decodeBody(data, &in)
		if err == nil {
			err = in.check()
			if err == nil && (in.Quantity <= 0 || in.Quantity > registrations.MaxSeatsPerLine || uuid.UUID(in.SeatType) == uuid.Nil) {
				t.Fatalf("decode %q: accepted %+v", data, in)
			}
		}
		checkDecoded(t, data, err)
	})
}
