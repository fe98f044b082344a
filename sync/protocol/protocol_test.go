package protocol_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"conference/shared/hlc"
	"conference/sync/protocol"
)

func sampleEvent(seq int64) protocol.Event {
	return protocol.Event{EventID: uuid.Must(uuid.NewV7()), StreamID: "Order-1", StreamType: "registrations.Order",
		StreamVersion: seq, Type: "registrations.OrderPlaced", Schema: 1, Data: json.RawMessage(`{"a":1}`),
		Origin: "kiosk-1", OriginSeq: seq, Seen: 7, HLC: int64(hlc.New(1_700_000_000_123, 4))}
}

func allMessages() []protocol.Message {
	conf, st := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	down := sampleEvent(1)
	down.Position = 12
	return []protocol.Message{
		&protocol.Hello{Protocol: 2, KioskID: "kiosk-1", Schemas: map[string]int{"x.Y": 2}, DownCheckpoint: 5, UpAcked: 3, UpHead: 9, Window: 4},
		&protocol.Welcome{Protocol: 2, KioskID: "kiosk-1", Conferences: []uuid.UUID{conf}, HubHead: 40, UpAcked: 3, HeartbeatMS: 15000, MaxBatch: 500},
		&protocol.EventsDown{Events: []protocol.Event{down}, Next: 20, Head: 40},
		&protocol.AckDown{Checkpoint: 20, Credit: 1},
		&protocol.EventsUp{Events: []protocol.Event{sampleEvent(4), sampleEvent(5)}, Head: 9},
		&protocol.AckUp{Seq: 5},
		&protocol.AllocRequest{ID: "r1", Conference: conf, SeatType: st, Quantity: 10},
		&protocol.AllocGrant{ID: "r1", Conference: conf, SeatType: st, Granted: 6},
		&protocol.AllocReturn{ID: "r2", Conference: conf, SeatType: st, Quantity: 2},
		&protocol.AllocReturned{ID: "r2", Conference: conf, SeatType: st, Quantity: 2},
		&protocol.DigestRequest{ID: "d1", Conference: conf},
		&protocol.DigestReply{ID: "d1", Conference: conf, Position: 40, Digests: map[string]string{"attendees": "ab12"}},
		&protocol.Error{Code: protocol.CodeGap, Message: "resend", Expected: 4},
	}
}

func TestEveryMessageRoundTripsInBothVersions(t *testing.T) {
	for _, version := range []int{protocol.Oldest, protocol.Current} {
		for _, m := range allMessages() {
			if h, ok := m.(*protocol.Hello); ok {
				c := *h
				c.Protocol = version
				m = &c
			}
			b, err := protocol.Encode(version, m)
			if err != nil {
				t.Fatalf("v%d encode %s: %v", version, m.MessageType(), err)
			}
			got, err := protocol.Decode(version, b)
			if err != nil {
				t.Fatalf("v%d decode %s: %v\n%s", version, m.MessageType(), err, b)
			}
			if !reflect.DeepEqual(got, m) {
				t.Fatalf("v%d %s: got %+v, want %+v", version, m.MessageType(), got, m)
			}
		}
	}
}

// Version 3's digest_request names the kiosk's cut and carries its
// digests; a version 2 frame cannot, so neither end sends what the other
// would not read.
func TestDigestRequestCarriesTheCutFromVersionThree(t *testing.T) {
	conf := uuid.Must(uuid.NewV7())
	cut := &protocol.DigestRequest{ID: "d2", Conference: conf, Position: 40, UpSeq: 7, Digests: map[string]string{"events": "3:ab"}}
	b, err := protocol.Encode(3, cut)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := protocol.Decode(3, b); err != nil || !reflect.DeepEqual(m, cut) {
		t.Fatalf("v3 round trip: %+v, %v", m, err)
	}
	if _, err := protocol.Encode(2, cut); !errors.Is(err, protocol.ErrBadMessage) {
		t.Fatalf("v2 encode of a cut: %v", err)
	}
	if _, err := protocol.Decode(2, b); !errors.Is(err, protocol.ErrBadMessage) {
		t.Fatalf("v2 decode of a cut: %v", err)
	}
	for name, bad := range map[string]*protocol.DigestRequest{
		"digests without a position": {ID: "d", Conference: conf, Digests: map[string]string{"events": "x"}},
		"negative up_seq":            {ID: "d", Conference: conf, Position: 3, UpSeq: -1},
	} {
		if _, err := protocol.Encode(3, bad); !errors.Is(err, protocol.ErrBadMessage) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestDecoderRefusesWhatIsNotExactlyTheProtocol(t *testing.T) {
	ev := `{"event_id":"0190b6c4-1d3e-7c4a-8b1e-0123456789ab","stream_id":"s","stream_type":"t","stream_version":1,"type":"x","schema":1,"data":{},"origin":"k","origin_seq":%d,"seen":0,"hlc":1,"correlation_id":"00000000-0000-0000-0000-000000000000","causation_id":"00000000-0000-0000-0000-000000000000"}`
	one := strings.Replace(ev, "%d", "1", 1)
	three := strings.Replace(ev, "%d", "3", 1)
	for _, tc := range []struct {
		name, in string
		want     *protocol.Error
	}{
		{"not json", `{"type":`, protocol.ErrBadMessage},
		{"no type", `{"seq":1}`, protocol.ErrBadMessage},
		{"unknown type", `{"type":"launch_missiles"}`, protocol.ErrUnknownType},
		{"unknown field", `{"type":"ack_up","seq":1,"extra":true}`, protocol.ErrBadMessage},
		{"wrong case", `{"type":"ack_up","SEQ":1}`, protocol.ErrBadMessage},
		{"duplicate field", `{"type":"ack_up","seq":1,"seq":2}`, protocol.ErrBadMessage},
		{"trailing data", `{"type":"ack_up","seq":1} {}`, protocol.ErrBadMessage},
		{"negative", `{"type":"ack_up","seq":-1}`, protocol.ErrBadMessage},
		{"fraction", `{"type":"ack_up","seq":1.5}`, protocol.ErrBadMessage},
		{"credit over window", `{"type":"ack_down","checkpoint":1,"credit":99}`, protocol.ErrFlowControl},
		{"empty batch", `{"type":"events_up","events":[],"head":0}`, protocol.ErrBadMessage},
		{"gap inside batch", `{"type":"events_up","events":[` + one + `,` + three + `],"head":3}`, protocol.ErrBadMessage},
		{"data not object", `{"type":"events_up","events":[` + strings.Replace(one, `"data":{}`, `"data":[1]`, 1) + `],"head":1}`, protocol.ErrBadMessage},
		{"oversized", `{"type":"ack_up","seq":1,"pad":"` + strings.Repeat("x", protocol.MaxMessageBytes) + `"}`, protocol.ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := protocol.Decode(2, []byte(tc.in))
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %s", err, tc.want.Code)
			}
		})
	}
}

func TestHelloVersionsTwoAndThreeAcceptedOlderRefusedWithAMessageForStaff(t *testing.T) {
	for _, v := range []string{"2", "3"} {
		if _, err := protocol.DecodeHello([]byte(`{"type":"hello","protocol":` + v + `,"kiosk_id":"k","down_checkpoint":0,"up_acked":0,"up_head":0,"window":4}`)); err != nil {
			t.Fatalf("v%s hello: %v", v, err)
		}
	}
	for _, old := range []string{`{"type":"hello","protocol":0,"kiosk":"old-format"}`,
		`{"type":"hello","protocol":1,"kiosk_id":"k","down_checkpoint":0,"up_acked":0,"up_head":0}`} {
		_, err := protocol.DecodeHello([]byte(old))
		if !errors.Is(err, protocol.ErrVersionUnsupported) || !strings.Contains(err.Error(), "update the kiosk") {
			t.Fatalf("%s: got %v, want version_unsupported telling staff to update", old, err)
		}
	}
	if _, err := protocol.DecodeHello([]byte(`{"type":"ack_up","seq":1}`)); !errors.Is(err, protocol.ErrOutOfOrder) {
		t.Fatalf("non-hello first: %v", err)
	}
}

func TestErrorCodesHaveStableCloseCodes(t *testing.T) {
	for _, c := range []protocol.Code{protocol.CodeRevoked, protocol.CodeBadMessage, protocol.CodeVersionUnsupported} {
		if got := protocol.CodeOfClose(c.CloseCode()); got != c {
			t.Fatalf("%s: close code %d maps back to %q", c, c.CloseCode(), got)
		}
	}
	if protocol.CodeGap.Fatal() || !protocol.CodeRevoked.Permanent() || protocol.CodeShuttingDown.Permanent() {
		t.Fatal("fatal/permanent flags wrong")
	}
}
