package main

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/kiosk"
	"conference/shared/webui"
)

// A serving kiosk holds its database's lock, so `kiosk status` asks it
// instead of opening the file: `kiosk serve` writes where it listens and a
// token, readable by the kiosk's user only, to <db>.serving, and answers
// /status.json to that token. The file goes when serve stops; one left by
// a crash is ignored, since the database is not locked then.

// statusReport is what `kiosk status` prints: the kiosk's status and its
// current digests per conference.
type statusReport struct {
	kiosk.Status
	Digests map[uuid.UUID]map[string]string
}

// report reads k's status and computes its digests.
func report(ctx context.Context, k *kiosk.Kiosk) (statusReport, error) {
	st, err := k.Status(ctx)
	if err != nil {
		return statusReport{}, err
	}
	d, err := k.Digests(ctx)
	if err != nil {
		return statusReport{}, err
	}
	return statusReport{Status: st, Digests: d}, nil
}

// serving is the content of <db>.serving.
type serving struct {
	URL   string `json:"url"`
	Token string `json:"token"`
}

func servingPath(db string) string { return db + ".serving" }

// announceServing writes <db>.serving (mode 0600, replaced atomically) and
// mounts /status.json answering its token; the returned func removes the
// file.
func announceServing(e *echo.Echo, k *kiosk.Kiosk, db, url string) (func(), error) {
	s := serving{URL: url, Token: webui.NewToken()}
	b, _ := json.Marshal(s)
	tmp := servingPath(db) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", servingPath(db), err)
	}
	if err := os.Rename(tmp, servingPath(db)); err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("write %s: %w", servingPath(db), err)
	}
	e.GET("/status.json", func(c echo.Context) error {
		got, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.Token)) != 1 {
			return c.String(http.StatusUnauthorized, "kiosk status needs the token of "+servingPath(db)+"\n")
		}
		r, err := report(c.Request().Context(), k)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, r)
	})
	return func() { os.Remove(servingPath(db)) }, nil
}

// askServing reads the status of the kiosk serving db.
func askServing(ctx context.Context, db string) (statusReport, error) {
	var r statusReport
	b, err := os.ReadFile(servingPath(db))
	if errors.Is(err, os.ErrNotExist) {
		return r, fmt.Errorf("%s is in use, but no running kiosk said where it answers (%s is missing)", db, servingPath(db))
	}
	if err != nil {
		return r, err
	}
	var s serving
	if err := json.Unmarshal(b, &s); err != nil {
		return r, fmt.Errorf("read %s: %w", servingPath(db), err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/status.json", nil)
	if err != nil {
		return r, fmt.Errorf("read %s: %w", servingPath(db), err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return r, fmt.Errorf("ask the running kiosk at %s: %w", s.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return r, fmt.Errorf("ask the running kiosk at %s: %s", s.URL, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return r, fmt.Errorf("ask the running kiosk at %s: %w", s.URL, err)
	}
	return r, nil
}
