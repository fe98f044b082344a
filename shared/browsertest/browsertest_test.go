//go:build e2e

package browsertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

func TestE2EBrowserRendersAndScreenshots(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>t</title><h1 id="h">Hello kiosk</h1><button id="b" onclick="document.getElementById('h').textContent='clicked'">go</button>`)
	}))
	defer srv.Close()
	b := New(t)
	b.Run("open page", chromedp.Navigate(srv.URL), chromedp.WaitVisible("#h"), chromedp.Click("#b"))
	if got := Get(b, "read heading", chromedp.Text("#h")); !strings.Contains(got, "clicked") {
		t.Fatalf("heading = %q, want clicked", got)
	}
	path := b.Screenshot("page")
	if st, err := os.Stat(path); err != nil || st.Size() < 100 {
		t.Fatalf("screenshot %q: %v", path, err)
	}
}
