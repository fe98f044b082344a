// Package protocol is the kiosk-hub sync wire protocol (DESIGN section 6):
// the messages, their strict decoder, the stable error codes and the
// protocol versions. It knows nothing of sockets or storage; both ends of
// the transport (sync/hubserver, sync/kioskclient) use it, and
// sync/PROTOCOL.md documents it for people.
//
// Every message is one WebSocket text frame holding one JSON object whose
// "type" field names the message; the other fields are the message's own.
package protocol

import (
	"encoding/json"

	"github.com/google/uuid"
)

// Protocol versions. A hub serves Current and the one before it (upcasting
// the older kiosk's events) and refuses anything older with a message that
// tells staff to update the kiosk.
const (
	// Current is the version this build speaks.
	Current = 3
	// Oldest is the oldest version a hub still serves: one behind.
	Oldest = 2
)

// Paths the hub mounts.
const (
	// Path is the WebSocket endpoint (GET with Upgrade).
	Path = "/sync/v1"
	// PairPath exchanges a pairing code for a device credential (POST, JSON).
	PairPath = "/sync/v1/pair"
)

// Limits every decoder enforces; a message past them is refused with
// CodeTooLarge and changes nothing.
const (
	MaxMessageBytes   = 4 << 20
	MaxBatchEvents    = 1000 // events in one events_up
	MaxPageEvents     = 1000 // events in one events_down
	MaxEventDataBytes = 256 << 10
	MaxWindow         = 16  // pages in flight (credit) a kiosk may grant
	MaxSchemas        = 512 // entries of a schemas map
	MaxDigests        = 64  // entries of a digest reply
	maxText           = 200 // ids, names, types
	maxMessageText    = 1000
)

// Type names a message.
type Type string

// Message types.
const (
	TypeHello         Type = "hello"
	TypeWelcome       Type = "welcome"
	TypeEventsDown    Type = "events_down"
	TypeAckDown       Type = "ack_down"
	TypeEventsUp      Type = "events_up"
	TypeAckUp         Type = "ack_up"
	TypeAllocRequest  Type = "alloc_request"
	TypeAllocGrant    Type = "alloc_grant"
	TypeAllocReturn   Type = "alloc_return"
	TypeAllocReturned Type = "alloc_returned"
	TypeDigestRequest Type = "digest_request"
	TypeDigestReply   Type = "digest_reply"
	TypeError         Type = "error"
)

// Message is any protocol message.
type Message interface {
	MessageType() Type
	// validate checks the values a JSON decode cannot (ranges, order).
	validate(version int) error
}

// Hello is the kiosk's first message: who it is, what it speaks and where
// it stands in both directions.
type Hello struct {
	Protocol int    `json:"protocol"`
	KioskID  string `json:"kiosk_id"`
	// Software is the kiosk build, for the organizer's kiosk list.
	Software string `json:"software,omitempty"`
	// Schemas maps event type to the newest schema version the kiosk reads
	// and writes.
	Schemas map[string]int `json:"schemas,omitempty"`
	// DownCheckpoint is the hub log position the kiosk has applied.
	DownCheckpoint int64 `json:"down_checkpoint"`
	// UpAcked is the last own origin_seq the kiosk knows the hub acked.
	UpAcked int64 `json:"up_acked"`
	// UpHead is the kiosk's last own origin_seq (pending = head - acked).
	UpHead int64 `json:"up_head"`
	// Window is how many events_down pages may be in flight (version 2;
	// version 1 is stop-and-wait and omits it).
	Window int `json:"window,omitempty"`
}

// Welcome is the hub's answer to hello: the handshake is complete when the
// kiosk has it.
type Welcome struct {
	Protocol    int         `json:"protocol"`
	KioskID     string      `json:"kiosk_id"`
	Conferences []uuid.UUID `json:"conferences"`
	// HubHead is the hub log's last position when the kiosk connected.
	HubHead int64 `json:"hub_head"`
	// UpAcked is the hub's truth: the last origin_seq of this kiosk stored.
	// The kiosk uploads from UpAcked+1.
	UpAcked int64          `json:"up_acked"`
	Schemas map[string]int `json:"schemas,omitempty"`
	// HeartbeatMS is the hub's ping interval; a kiosk that hears nothing
	// for two intervals treats the link as dead.
	HeartbeatMS int64 `json:"heartbeat_ms"`
	// MaxBatch is the largest events_up the hub accepts.
	MaxBatch int `json:"max_batch"`
}

// EventsDown is one page of the hub log filtered to the kiosk's
// conferences, in hub order. Next is the position to resume after; it may
// lie past the last event (the hub skipped other conferences' events).
type EventsDown struct {
	Events []Event `json:"events"`
	Next   int64   `json:"next"`
	// Head is the hub log head when the page was read (catch-up progress).
	Head int64 `json:"head"`
}

// AckDown tells the hub the kiosk applied everything up to Checkpoint and
// grants Credit more pages (version 1: always one).
type AckDown struct {
	Checkpoint int64 `json:"checkpoint"`
	Credit     int   `json:"credit,omitempty"`
}

// EventsUp is a batch of the kiosk's own events, consecutive in
// origin_seq. Head is the kiosk's last origin_seq when it sent the batch.
type EventsUp struct {
	Events []Event `json:"events"`
	Head   int64   `json:"head"`
}

// AckUp acknowledges every origin_seq up to Seq as stored at the hub.
type AckUp struct {
	Seq int64 `json:"seq"`
}

// AllocRequest asks for Quantity more seats of a seat type to sell offline.
type AllocRequest struct {
	ID         string    `json:"id"`
	Conference uuid.UUID `json:"conference"`
	SeatType   uuid.UUID `json:"seat_type"`
	Quantity   int       `json:"quantity"`
}

// AllocGrant answers an AllocRequest; Granted may be less than asked, or 0.
type AllocGrant struct {
	ID         string    `json:"id"`
	Conference uuid.UUID `json:"conference"`
	SeatType   uuid.UUID `json:"seat_type"`
	Granted    int       `json:"granted"`
}

// AllocReturn gives unsold allocated seats back.
type AllocReturn struct {
	ID         string    `json:"id"`
	Conference uuid.UUID `json:"conference"`
	SeatType   uuid.UUID `json:"seat_type"`
	Quantity   int       `json:"quantity"`
}

// AllocReturned confirms an AllocReturn.
type AllocReturned struct {
	ID         string    `json:"id"`
	Conference uuid.UUID `json:"conference"`
	SeatType   uuid.UUID `json:"seat_type"`
	Quantity   int       `json:"quantity"`
}

// DigestRequest asks the hub for the digests of a conference's read models.
//
// Version 3 names the kiosk's cut, so both ends digest the same events: the
// hub log up to Position (what the kiosk applied) plus the kiosk's own
// events up to UpSeq (all of which the hub stored), and carries the
// kiosk's own digests at that cut, so the hub learns whether the kiosk
// agrees (the organizer's kiosk list shows it). Without a Position the hub
// digests its whole log, as in version 2.
type DigestRequest struct {
	ID         string    `json:"id"`
	Conference uuid.UUID `json:"conference"`
	Position   int64     `json:"position,omitempty"`
	UpSeq      int64     `json:"up_seq,omitempty"`
	// Digests are the kiosk's, at the cut (version 3; optional).
	Digests map[string]string `json:"digests,omitempty"`
}

// DigestReply carries read-model digests computed at hub log Position: the
// request's cut when it named one, else the hub's head.
type DigestReply struct {
	ID         string            `json:"id"`
	Conference uuid.UUID         `json:"conference"`
	Position   int64             `json:"position"`
	Digests    map[string]string `json:"digests"`
}

// MessageType implementations.
func (*Hello) MessageType() Type         { return TypeHello }
func (*Welcome) MessageType() Type       { return TypeWelcome }
func (*EventsDown) MessageType() Type    { return TypeEventsDown }
func (*AckDown) MessageType() Type       { return TypeAckDown }
func (*EventsUp) MessageType() Type      { return TypeEventsUp }
func (*AckUp) MessageType() Type         { return TypeAckUp }
func (*AllocRequest) MessageType() Type  { return TypeAllocRequest }
func (*AllocGrant) MessageType() Type    { return TypeAllocGrant }
func (*AllocReturn) MessageType() Type   { return TypeAllocReturn }
func (*AllocReturned) MessageType() Type { return TypeAllocReturned }
func (*DigestRequest) MessageType() Type { return TypeDigestRequest }
func (*DigestReply) MessageType() Type   { return TypeDigestReply }
func (*Error) MessageType() Type         { return TypeError }

// PairRequest is the body of POST PairPath.
type PairRequest struct {
	Code string `json:"code"`
	// PublicKey is the kiosk's Ed25519 public key (base64 std encoding in
	// JSON), which the hub certifies for signing badge tokens.
	PublicKey []byte `json:"public_key"`
}

// PairResponse is the answer to a successful pairing. The credential is
// shown this once; the hub keeps only its hash.
type PairResponse struct {
	KioskID     string      `json:"kiosk_id"`
	Name        string      `json:"name"`
	Credential  string      `json:"credential"`
	Conferences []uuid.UUID `json:"conferences"`
	// HubPublicKey is the hub's Ed25519 badge-signing public key.
	HubPublicKey []byte `json:"hub_public_key"`
	// Certificate is the hub's certificate for the kiosk key
	// (badges/token.Certificate text form).
	Certificate string `json:"certificate"`
}

// rawJSON keeps a payload verbatim.
type rawJSON = json.RawMessage
