package hubapp

import (
	"context"
	"errors"
	"fmt"

	"conference/hub/kiosks"
	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/ids"
	"conference/shared/onsite"
)

// Kiosks and hub screens show kiosks by name. The registry (plain SQL)
// holds the names; kiosks learn everything through the event log, so the
// hub records each kiosk's name there as onsite.KioskNamed, in its own
// stream, which sync carries to the conference's kiosks.

var kioskNameCodec = func() *eventsourcing.Registry {
	r := eventsourcing.NewRegistry()
	onsite.RegisterEvents(r)
	return r
}()

// recordKioskName appends a kiosk's name to the log once: a stream that
// exists already holds it.
func (h *Hub) recordKioskName(ctx context.Context, k kiosks.Kiosk) error {
	e, err := onsite.NameKiosk(k.ConferenceID, k.ID, k.Name, h.now())
	if err != nil {
		return err
	}
	name, schema, data, err := kioskNameCodec.Encode(e)
	if err != nil {
		return err
	}
	_, err = h.Store.Append(ctx, eventstore.Stream{ID: onsite.KioskStreamID(k.ID), Type: onsite.KioskStreamType}, eventstore.NoStream,
		[]eventstore.Event{{EventID: ids.New(), Type: name, Schema: schema, Data: data, CorrelationID: ids.New()}})
	if errors.Is(err, eventstore.ErrConcurrency) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("record the name of kiosk %s: %w", k.ID, err)
	}
	return nil
}

// onKioskCreated names a new kiosk in the log. A failure is logged: the
// kiosk exists, and nameKiosks names it at the next start.
func (h *Hub) onKioskCreated(ctx context.Context, k kiosks.Kiosk) {
	if err := h.recordKioskName(context.WithoutCancel(ctx), k); err != nil {
		h.Log.Warn("kiosk created; its name is not in the log yet", "kiosk", k.ID, "err", err)
	}
}

// nameKiosks records the name of every kiosk not named in the log yet:
// kiosks created before names were recorded, or whose naming failed. It
// runs once as the hub starts.
func (h *Hub) nameKiosks(ctx context.Context) error {
	all, err := h.Kiosks.All(ctx)
	if err != nil {
		return err
	}
	for _, k := range all {
		if err := h.recordKioskName(ctx, k); err != nil {
			return err
		}
	}
	return nil
}
