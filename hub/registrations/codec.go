// Package registrationsapp is the hub's registrations application layer: it
// connects the pure registrations domain (shared/registrations) to the event
// store and the message bus.
//
//   - Commands (codec.go) are encoded into outbox messages and back.
//   - The ProcessManager (process.go) follows the event log from a
//     checkpoint and feeds the events RouteToProcess accepts to the
//     RegistrationProcess aggregate; the process's new events, the commands
//     it returns (outbox) and the processed mark of the event are saved in
//     one atomic batch.
//   - Handlers (handlers.go) run those commands on the bus against Order and
//     SeatsAvailability, saving each effect with the bus's processed mark,
//     and hand payment and notification commands to the Payments and
//     Notifier ports.
//   - Registrations (service.go) holds the use cases the JSON API and the
//     web pages call.
package registrationsapp

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"

	"github.com/google/uuid"

	"conference/shared/eventstore"
	"conference/shared/ids"
	"conference/shared/registrations"
)

// ErrUnknownCommand is matched by errors encoding or decoding a command type
// the codec does not know.
var ErrUnknownCommand = errors.New("unknown command type")

// CommandCodec maps command type names to Go types, like
// eventsourcing.Registry does for events. Register everything at start-up;
// lookups are safe for concurrent use afterwards.
type CommandCodec struct {
	mu     sync.RWMutex
	byName map[string]reflect.Type
}

// NewCommandCodec returns a codec knowing every command the
// RegistrationProcess emits.
func NewCommandCodec() *CommandCodec {
	c := &CommandCodec{byName: map[string]reflect.Type{}}
	for _, cmd := range ProcessCommands() {
		c.Register(cmd)
	}
	return c
}

// ProcessCommands lists one zero value of every command the
// RegistrationProcess sends.
func ProcessCommands() []registrations.Command {
	return []registrations.Command{
		registrations.MakeSeatReservation{}, registrations.CommitSeatReservation{},
		registrations.CancelSeatReservation{}, registrations.CancelSoldSeats{},
		registrations.RecordOnSiteSale{}, registrations.MarkSeatsAsReserved{},
		registrations.ReinstateOrder{}, registrations.ConfirmOrder{},
		registrations.ExpireOrder{}, registrations.RejectOrder{},
		registrations.InitiatePayment{}, registrations.RefundPayment{},
		registrations.NotifyRegistrant{}, registrations.ReservationTimeout{},
	}
}

// Register records cmd's concrete type (a struct value) under its
// CommandType.
func (c *CommandCodec) Register(cmd registrations.Command) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byName[cmd.CommandType()] = reflect.TypeOf(cmd)
}

// Encode turns cmd into an outbox message with a fresh id. Commands
// implementing registrations.Delayed are not dispatched before their time.
func (c *CommandCodec) Encode(cmd registrations.Command, correlationID, causationID uuid.UUID) (eventstore.Message, error) {
	name := cmd.CommandType()
	c.mu.RLock()
	_, ok := c.byName[name]
	c.mu.RUnlock()
	if !ok {
		return eventstore.Message{}, fmt.Errorf("encode %s: %w", name, ErrUnknownCommand)
	}
	data, err := json.Marshal(cmd)
	if err != nil {
		return eventstore.Message{}, fmt.Errorf("encode %s: %w", name, err)
	}
	m := eventstore.Message{
		ID: ids.New(), Kind: eventstore.KindCommand, Type: name, Data: data,
		CorrelationID: correlationID, CausationID: causationID,
	}
	if d, ok := cmd.(registrations.Delayed); ok {
		m.NotBefore = d.NotBefore()
	}
	return m, nil
}

// EncodeAll encodes cmds in order, all caused by the same message.
func (c *CommandCodec) EncodeAll(cmds []registrations.Command, correlationID, causationID uuid.UUID) ([]eventstore.Message, error) {
	out := make([]eventstore.Message, 0, len(cmds))
	for _, cmd := range cmds {
		m, err := c.Encode(cmd, correlationID, causationID)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// Decode turns an outbox command message back into its command.
func (c *CommandCodec) Decode(m eventstore.Message) (registrations.Command, error) {
	if m.Kind != eventstore.KindCommand {
		return nil, fmt.Errorf("decode message %s: kind %q is not a command", m.ID, m.Kind)
	}
	c.mu.RLock()
	t, ok := c.byName[m.Type]
	c.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("decode %s: %w", m.Type, ErrUnknownCommand)
	}
	ptr := reflect.New(t)
	if err := json.Unmarshal(m.Data, ptr.Interface()); err != nil {
		return nil, fmt.Errorf("decode %s %s: %w", m.Type, m.ID, err)
	}
	return ptr.Elem().Interface().(registrations.Command), nil
}
