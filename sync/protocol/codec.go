package protocol

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
)

// Encode writes m as the JSON text of one frame for a peer speaking
// version. Messages are validated first, so neither end sends what the
// other would refuse.
func Encode(version int, m Message) ([]byte, error) {
	if err := checkVersion(version); err != nil {
		return nil, err
	}
	if err := m.validate(version); err != nil {
		return nil, fmt.Errorf("encode %s: %w", m.MessageType(), err)
	}
	t := m.MessageType()
	var v any
	switch m := m.(type) {
	case *Hello:
		v = struct {
			Type Type `json:"type"`
			Hello
		}{t, *m}
	case *Welcome:
		v = struct {
			Type Type `json:"type"`
			Welcome
		}{t, *m}
	case *EventsDown:
		v = struct {
			Type Type `json:"type"`
			EventsDown
		}{t, *m}
	case *AckDown:
		v = struct {
			Type Type `json:"type"`
			AckDown
		}{t, *m}
	case *EventsUp:
		v = struct {
			Type Type `json:"type"`
			EventsUp
		}{t, *m}
	case *AckUp:
		v = struct {
			Type Type `json:"type"`
			AckUp
		}{t, *m}
	case *AllocRequest:
		v = struct {
			Type Type `json:"type"`
			AllocRequest
		}{t, *m}
	case *AllocGrant:
		v = struct {
			Type Type `json:"type"`
			AllocGrant
		}{t, *m}
	case *AllocReturn:
		v = struct {
			Type Type `json:"type"`
			AllocReturn
		}{t, *m}
	case *AllocReturned:
		v = struct {
			Type Type `json:"type"`
			AllocReturned
		}{t, *m}
	case *DigestRequest:
		v = struct {
			Type Type `json:"type"`
			DigestRequest
		}{t, *m}
	case *DigestReply:
		v = struct {
			Type Type `json:"type"`
			DigestReply
		}{t, *m}
	case *Error:
		v = struct {
			Type Type `json:"type"`
			Error
		}{t, *m}
	default:
		return nil, fmt.Errorf("encode: unknown message %T", m)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", t, err)
	}
	if len(b) > MaxMessageBytes {
		return nil, fmt.Errorf("encode %s: %w", t, Errorf(CodeTooLarge, "%d bytes, the limit is %d", len(b), MaxMessageBytes))
	}
	return b, nil
}

func checkVersion(version int) error {
	if version < Oldest || version > Current {
		return Errorf(CodeVersionUnsupported, "protocol %d is not spoken here (%d to %d)", version, Oldest, Current)
	}
	return nil
}

// Decode reads one frame sent by a peer speaking version. It is strict:
// unknown or duplicate fields, names in the wrong case, trailing data,
// values out of range and anything over the size limits are refused with
// an *Error (CodeBadMessage, CodeUnknownType, CodeTooLarge, ...), so the
// caller can send it back as it is.
func Decode(version int, data []byte) (Message, error) {
	if err := checkVersion(version); err != nil {
		return nil, err
	}
	t, err := peekType(data)
	if err != nil {
		return nil, err
	}
	var m Message
	switch t {
	case TypeHello:
		var w struct {
			Type Type `json:"type"`
			Hello
		}
		err, m = strict(data, &w), &w.Hello
	case TypeWelcome:
		var w struct {
			Type Type `json:"type"`
			Welcome
		}
		err, m = strict(data, &w), &w.Welcome
	case TypeEventsDown:
		var w struct {
			Type Type `json:"type"`
			EventsDown
		}
		err, m = strict(data, &w), &w.EventsDown
	case TypeAckDown:
		var w struct {
			Type Type `json:"type"`
			AckDown
		}
		err, m = strict(data, &w), &w.AckDown
	case TypeEventsUp:
		var w struct {
			Type Type `json:"type"`
			EventsUp
		}
		err, m = strict(data, &w), &w.EventsUp
	case TypeAckUp:
		var w struct {
			Type Type `json:"type"`
			AckUp
		}
		err, m = strict(data, &w), &w.AckUp
	case TypeAllocRequest:
		var w struct {
			Type Type `json:"type"`
			AllocRequest
		}
		err, m = strict(data, &w), &w.AllocRequest
	case TypeAllocGrant:
		var w struct {
			Type Type `json:"type"`
			AllocGrant
		}
		err, m = strict(data, &w), &w.AllocGrant
	case TypeAllocReturn:
		var w struct {
			Type Type `json:"type"`
			AllocReturn
		}
		err, m = strict(data, &w), &w.AllocReturn
	case TypeAllocReturned:
		var w struct {
			Type Type `json:"type"`
			AllocReturned
		}
		err, m = strict(data, &w), &w.AllocReturned
	case TypeDigestRequest:
		var w struct {
			Type Type `json:"type"`
			DigestRequest
		}
		err, m = strict(data, &w), &w.DigestRequest
	case TypeDigestReply:
		var w struct {
			Type Type `json:"type"`
			DigestReply
		}
		err, m = strict(data, &w), &w.DigestReply
	case TypeError:
		var w struct {
			Type Type `json:"type"`
			Error
		}
		err, m = strict(data, &w), &w.Error
	default:
		return nil, Errorf(CodeUnknownType, "message type %q is not part of protocol %d", clip(string(t)), version)
	}
	if err != nil {
		return nil, err
	}
	if err := m.validate(version); err != nil {
		return nil, err
	}
	return m, nil
}

// DecodeHello reads the first frame of a connection, whatever version the
// kiosk speaks: it looks at "protocol" before anything else, so a kiosk
// too old to understand gets CodeVersionUnsupported with a message for
// staff rather than a parse error.
func DecodeHello(data []byte) (*Hello, error) {
	if len(data) > MaxMessageBytes {
		return nil, Errorf(CodeTooLarge, "message is %d bytes, the limit is %d", len(data), MaxMessageBytes)
	}
	var peek struct {
		Type     Type `json:"type"`
		Protocol int  `json:"protocol"`
	}
	if err := json.Unmarshal(data, &peek); err != nil {
		return nil, Errorf(CodeBadMessage, "not a JSON object: %s", clip(err.Error()))
	}
	if peek.Type != TypeHello {
		return nil, Errorf(CodeOutOfOrder, "the first message must be hello, got %q", clip(string(peek.Type)))
	}
	switch {
	case peek.Protocol < Oldest:
		return nil, Errorf(CodeVersionUnsupported,
			"this kiosk speaks sync protocol %d; the hub needs %d or newer: update the kiosk software", peek.Protocol, Oldest)
	case peek.Protocol > Current:
		return nil, Errorf(CodeVersionUnsupported,
			"this kiosk speaks sync protocol %d; the hub speaks up to %d: update the hub", peek.Protocol, Current)
	}
	m, err := Decode(peek.Protocol, data)
	if err != nil {
		return nil, err
	}
	return m.(*Hello), nil
}

func peekType(data []byte) (Type, error) {
	if len(data) > MaxMessageBytes {
		return "", Errorf(CodeTooLarge, "message is %d bytes, the limit is %d", len(data), MaxMessageBytes)
	}
	var peek struct {
		Type Type `json:"type"`
	}
	if err := json.Unmarshal(data, &peek); err != nil {
		return "", Errorf(CodeBadMessage, "not a JSON object: %s", clip(err.Error()))
	}
	if peek.Type == "" {
		return "", Errorf(CodeBadMessage, "type is required")
	}
	return peek.Type, nil
}

// strict decodes with the rules of JSON v2 (exact-case names, no duplicate
// names, valid UTF-8) and refuses unknown members.
func strict(data []byte, v any) error {
	if err := jsonv2.Unmarshal(data, v, jsonv2.RejectUnknownMembers(true)); err != nil {
		var se *jsonv2.SemanticError
		msg := err.Error()
		if errors.As(err, &se) && se.Err != nil {
			msg = se.Error()
		}
		return Errorf(CodeBadMessage, "%s", clip(msg))
	}
	return nil
}

// clip keeps echoed input short in error messages.
func clip(s string) string {
	s = strings.ToValidUTF8(s, "?")
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}
