//go:build e2e

package webuitest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"conference/shared/browsertest"
)

// WaitText waits until the page shows text. It polls rather than using
// chromedp.Poll, which fails when a navigation replaces the page it
// evaluates in.
func WaitText(t *testing.T, b *browsertest.Browser, text string) {
	t.Helper()
	WaitJS(t, b, "wait for "+text, fmt.Sprintf("!!document.body && document.body.innerText.includes(%q)", text))
}

// WaitJS waits up to 20 s until expr is true in the page; on timeout it
// logs the page's text and fails the test.
func WaitJS(t *testing.T, b *browsertest.Browser, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(b.Context(), 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			ctx, cancel := context.WithTimeout(b.Context(), 2*time.Second)
			text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
			cancel()
			t.Logf("page text:\n%s", text)
			t.Fatalf("browser: %s: timed out (last error %v)", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
