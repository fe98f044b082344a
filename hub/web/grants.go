package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// grants is how a registrant's browser keeps access to its orders: a
// cookie listing order ids, signed with a key only the hub knows. The
// browser that placed an order gets it at once; any other browser gets it
// by typing the order's access code and email (DESIGN section 8), so an
// order id seen in a URL or a log is not enough to open the order.
type grants struct{ key []byte }

// maxGrants bounds the cookie; the oldest order drops out first.
const maxGrants = 20

func (g *grants) sign(ids []uuid.UUID) string {
	raw := make([]byte, 0, 16*len(ids))
	for _, id := range ids {
		raw = append(raw, id[:]...)
	}
	mac := hmac.New(sha256.New, g.key)
	mac.Write(raw)
	return base64.RawURLEncoding.EncodeToString(raw) + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func (g *grants) read(c echo.Context) []uuid.UUID {
	ck, err := c.Cookie(grantsCookie)
	if err != nil {
		return nil
	}
	body, sig, ok := strings.Cut(ck.Value, ".")
	if !ok {
		return nil
	}
	raw, err1 := base64.RawURLEncoding.DecodeString(body)
	got, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil || len(raw)%16 != 0 {
		return nil
	}
	mac := hmac.New(sha256.New, g.key)
	mac.Write(raw)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return nil
	}
	ids := make([]uuid.UUID, 0, len(raw)/16)
	for i := 0; i < len(raw); i += 16 {
		ids = append(ids, uuid.UUID(raw[i:i+16]))
	}
	return ids
}

// has reports whether this browser may open the order.
func (g *grants) has(c echo.Context, orderID uuid.UUID) bool {
	for _, id := range g.read(c) {
		if id == orderID {
			return true
		}
	}
	return false
}

// grant lets this browser open the order from now on.
func (s *site) grant(c echo.Context, orderID uuid.UUID) {
	ids := []uuid.UUID{orderID}
	for _, id := range s.grants.read(c) {
		if id != orderID && len(ids) < maxGrants {
			ids = append(ids, id)
		}
	}
	c.SetCookie(s.cookie(c, grantsCookie, s.grants.sign(ids), s.now().Add(90*24*time.Hour)))
}
