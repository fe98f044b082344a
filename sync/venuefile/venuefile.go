// Package venuefile moves a conference's events from the hub to a kiosk on
// a file, for a venue with no network at all. The file is JSON lines:
//
//	{"format":"conference-venue-file","version":1,"conference_id":"…","hub_position":N,"exported_at":"…"}
//	{"event_id":"…","stream_id":"…",…,"position":P}        one line per event, hub order
//	{"end":true,"events":K,"sha256":"…"}                   count and hash of the event lines
//
// The trailer makes a truncated or edited file detectable. Import checks the
// whole file before writing anything, then applies it like a page from the
// hub (merge.ApplyDown), so a kiosk that later goes online resumes sync from
// the header's hub_position without receiving anything twice.
package venuefile

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventstore"
	"conference/shared/hlc"
	"conference/sync/merge"
	"conference/sync/scope"
)

// Format and Version identify the file; Import refuses other formats and
// versions newer than it knows.
const (
	Format  = "conference-venue-file"
	Version = 1
)

// MaxLine bounds one line of a file (an event envelope with its data).
const MaxLine = 4 << 20

// ErrBadFile is matched by every refusal of a file's content.
var ErrBadFile = errors.New("not a usable venue file")

// Header is the first line of a file.
type Header struct {
	Format       string    `json:"format"`
	Version      int       `json:"version"`
	ConferenceID uuid.UUID `json:"conference_id"`
	// HubPosition is the hub log position the file is complete up to: a
	// kiosk that imported it resumes sync from there.
	HubPosition int64     `json:"hub_position"`
	ExportedAt  time.Time `json:"exported_at"`
}

type trailer struct {
	End    bool   `json:"end"`
	Events int64  `json:"events"`
	SHA256 string `json:"sha256"`
}

// envelope is one event line.
type envelope struct {
	EventID       uuid.UUID       `json:"event_id"`
	StreamID      string          `json:"stream_id"`
	StreamType    string          `json:"stream_type"`
	StreamVersion int64           `json:"stream_version"`
	Type          string          `json:"type"`
	Schema        int             `json:"schema"`
	Data          json.RawMessage `json:"data"`
	Origin        string          `json:"origin"`
	OriginSeq     int64           `json:"origin_seq"`
	Seen          int64           `json:"seen"`
	HLC           int64           `json:"hlc"`
	CorrelationID uuid.UUID       `json:"correlation_id"`
	CausationID   uuid.UUID       `json:"causation_id"`
	Position      int64           `json:"position"`
	RecordedAt    time.Time       `json:"recorded_at"`
}

func toEnvelope(e *eventstore.Event) envelope {
	return envelope{e.EventID, e.StreamID, e.StreamType, e.StreamVersion, e.Type, e.Schema, e.Data,
		e.Origin, e.OriginSeq, e.Seen, int64(e.HLC), e.CorrelationID, e.CausationID, e.Position, e.RecordedAt.UTC()}
}

func (v *envelope) event() eventstore.Event {
	return eventstore.Event{EventID: v.EventID, StreamID: v.StreamID, StreamType: v.StreamType, StreamVersion: v.StreamVersion,
		Type: v.Type, Schema: v.Schema, Data: []byte(v.Data), Origin: v.Origin, OriginSeq: v.OriginSeq, Seen: v.Seen,
		HLC: hlc.Timestamp(v.HLC), CorrelationID: v.CorrelationID, CausationID: v.CausationID, Position: v.Position, RecordedAt: v.RecordedAt}
}

// Export writes the conference's events held by the hub store, up to its
// current head, to w.
func Export(ctx context.Context, store eventstore.Store, conference uuid.UUID, w io.Writer) error {
	if conference == uuid.Nil {
		return fmt.Errorf("export: conference id is required")
	}
	head, err := store.Head(ctx)
	if err != nil {
		return fmt.Errorf("export %s: %w", conference, err)
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	h := Header{Format: Format, Version: Version, ConferenceID: conference, HubPosition: head, ExportedAt: time.Now().UTC()}
	if err := writeLine(bw, nil, h); err != nil {
		return fmt.Errorf("export %s: %w", conference, err)
	}
	sum := sha256.New()
	pager := scope.New(store)
	var count int64
	for after := int64(0); after < head; {
		evs, next, err := pager.Page(ctx, after, []uuid.UUID{conference}, scope.MaxLimit)
		if err != nil {
			return fmt.Errorf("export %s: %w", conference, err)
		}
		for i := range evs {
			if evs[i].Position > head {
				break
			}
			if err := writeLine(bw, sum, toEnvelope(&evs[i])); err != nil {
				return fmt.Errorf("export %s: %w", conference, err)
			}
			count++
		}
		if next == after {
			break
		}
		after = next
	}
	if err := writeLine(bw, nil, trailer{End: true, Events: count, SHA256: hex.EncodeToString(sum.Sum(nil))}); err != nil {
		return fmt.Errorf("export %s: %w", conference, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("export %s: %w", conference, err)
	}
	return nil
}

func writeLine(w io.Writer, sum hash.Hash, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if sum != nil {
		sum.Write(b)
	}
	_, err = w.Write(b)
	return err
}

// Decode reads and checks a whole file, handing each event to each in file
// order, and returns its header. It stops at the first problem with an
// error matching ErrBadFile (or each's error). Events handed out before a
// problem was found must not be acted on: Import spools them first.
func Decode(r io.Reader, each func(eventstore.Event) error) (Header, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	line := 0
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: line %d: %s", ErrBadFile, line, fmt.Sprintf(format, args...))
	}
	next := func() ([]byte, error) {
		if !sc.Scan() {
			if err := sc.Err(); err != nil {
				if errors.Is(err, bufio.ErrTooLong) {
					line++
					return nil, bad("longer than %d bytes", MaxLine)
				}
				return nil, fmt.Errorf("read venue file: %w", err)
			}
			return nil, nil
		}
		line++
		return sc.Bytes(), nil
	}
	var h Header
	b, err := next()
	if err != nil {
		return h, err
	}
	if b == nil {
		return h, fmt.Errorf("%w: the file is empty", ErrBadFile)
	}
	if err := json.Unmarshal(b, &h); err != nil || h.Format != Format {
		return h, bad("not a venue file header (want format %q)", Format)
	}
	switch {
	case h.Version > Version:
		return h, bad("version %d was written by a newer hub; update this kiosk", h.Version)
	case h.Version < 1:
		return h, bad("version %d is unknown", h.Version)
	case h.ConferenceID == uuid.Nil:
		return h, bad("no conference id")
	case h.HubPosition < 0:
		return h, bad("hub position %d is negative", h.HubPosition)
	}
	sum := sha256.New()
	cls := scope.NewClassifier()
	var count, prev int64
	for {
		b, err := next()
		if err != nil {
			return h, err
		}
		if b == nil {
			return h, fmt.Errorf("%w: truncated after line %d (no end line)", ErrBadFile, line)
		}
		var t trailer
		if json.Unmarshal(b, &t) == nil && t.End {
			if t.Events != count || t.SHA256 != hex.EncodeToString(sum.Sum(nil)) {
				return h, bad("end line says %d events (sha256 %.16s…), the file holds %d", t.Events, t.SHA256, count)
			}
			if more, err := next(); err != nil || more != nil {
				return h, bad("content after the end line")
			}
			return h, nil
		}
		sum.Write(b)
		sum.Write([]byte{'\n'})
		var v envelope
		if err := json.Unmarshal(b, &v); err != nil {
			return h, bad("not an event: %v", err)
		}
		e := v.event()
		if err := merge.ValidEnvelope(&e); err != nil {
			return h, bad("event %s: %v", e.EventID, err)
		}
		if e.Position <= prev || e.Position > h.HubPosition {
			return h, bad("event %s at hub position %d out of order (after %d, file up to %d)", e.EventID, e.Position, prev, h.HubPosition)
		}
		prev = e.Position
		if c, ok := cls.Conference(&e); ok && c != h.ConferenceID {
			return h, bad("event %s belongs to conference %s, not %s", e.EventID, c, h.ConferenceID)
		}
		count++
		if err := each(e); err != nil {
			return h, err
		}
	}
}
