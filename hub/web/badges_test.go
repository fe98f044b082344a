package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestAnUnknownBadgeLayoutIsRefusedByItsField(t *testing.T) {
	th := startHub(t, Options{})
	v := th.venue(t, "Badge Conf", "badge-conf")
	th.confirmedOrder(t, v, "badge-conf", 1)
	page := confURL(v.conf, "/badges")

	// A plain form: the badges page again, the message by the layout field.
	v.org.Post(page, url.Values{"layout": {"poster-a0"}}).
		Want(t, http.StatusUnprocessableEntity, `id="layout-error"`, "Choose one of the listed layouts", `aria-invalid="true"`, "a4-sheet")

	// The page's script: the same refusal as JSON it can show.
	req, _ := http.NewRequest(http.MethodPost, th.srv.URL+page,
		strings.NewReader(url.Values{"layout": {"poster-a0"}, csrfField: {v.org.CSRF()}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	p := v.org.Do(req).Want(t, http.StatusUnprocessableEntity)
	var refused struct{ Error, Field string }
	if err := json.Unmarshal([]byte(p.Body), &refused); err != nil || refused.Field != "layout" || !strings.Contains(refused.Error, "listed layouts") {
		t.Fatalf("JSON refusal: %s (%v)", p.Body, err)
	}

	// A listed layout starts a job.
	v.org.Post(page, url.Values{"layout": {"a4-sheet"}}).WantRedirect(t, page+"/")
}
