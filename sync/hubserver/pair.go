package hubserver

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"

	jsonv2 "github.com/go-json-experiment/json"

	"conference/hub/kiosks"
	"conference/sync/protocol"
)

// maxPairBody bounds a pairing request: a code and a 32-byte key.
const maxPairBody = 4 << 10

// servePair exchanges a pairing code for a device credential. Every
// refusal (unknown, expired, used, revoked) is the same CodePairingRefused,
// and attempts are rate limited, so codes cannot be guessed.
func (s *Server) servePair(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, protocol.Errorf(protocol.CodeBadMessage, "use POST with a JSON body"))
		return
	}
	if !s.limiter.Allow("all") {
		writeError(w, protocol.Errorf(protocol.CodeRateLimited, "too many pairing attempts; wait a minute and retry"))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPairBody+1))
	if err != nil {
		writeError(w, protocol.Errorf(protocol.CodeBadMessage, "read request: %v", err))
		return
	}
	if len(body) > maxPairBody {
		writeError(w, protocol.Errorf(protocol.CodeTooLarge, "pairing request over %d bytes", maxPairBody))
		return
	}
	var req protocol.PairRequest
	if err := jsonv2.Unmarshal(body, &req, jsonv2.RejectUnknownMembers(true)); err != nil {
		writeError(w, protocol.Errorf(protocol.CodeBadMessage, "pairing request must be {\"code\":..., \"public_key\":...}"))
		return
	}
	if len(req.PublicKey) != ed25519.PublicKeySize {
		writeError(w, protocol.Errorf(protocol.CodeBadMessage, "public_key must be a %d-byte Ed25519 key", ed25519.PublicKeySize))
		return
	}
	p, err := s.cfg.Kiosks.Pair(r.Context(), req.Code, ed25519.PublicKey(req.PublicKey))
	switch {
	case errors.Is(err, kiosks.ErrPairingRefused):
		s.logf(slog.LevelWarn, "pairing refused", "remote", r.RemoteAddr)
		writeError(w, protocol.Errorf(protocol.CodePairingRefused, "pairing code unknown, expired or already used; ask the organizer for a new one"))
		return
	case errors.Is(err, kiosks.ErrInvalid):
		writeError(w, protocol.Errorf(protocol.CodeBadMessage, "%v", err))
		return
	case err != nil:
		s.logf(slog.LevelError, "pair", "err", err)
		writeError(w, protocol.Errorf(protocol.CodeInternal, "pairing failed on the hub; retry"))
		return
	}
	cert, _ := p.Certificate.MarshalText()
	s.logf(slog.LevelInfo, "kiosk paired", "kiosk", p.Kiosk.KioskID, "name", p.Kiosk.Name)
	writeJSON(w, http.StatusOK, protocol.PairResponse{KioskID: p.Kiosk.KioskID, Name: p.Kiosk.Name,
		Credential: p.Credential, Conferences: p.Kiosk.Conferences(), HubPublicKey: p.HubPublicKey, Certificate: string(cert)})
}

func writeError(w http.ResponseWriter, e *protocol.Error) {
	writeJSON(w, e.Code.HTTPStatus(), e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
