// Package browsertest starts Debian's Chromium headless for end-to-end tests
// of the hub's and the kiosk's pages, and keeps screenshots as artifacts.
//
// Tests that use it carry the build tag e2e (`make e2e`). Where Chromium is
// missing they fail in CI (CI set) and skip with the reason elsewhere.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Browser is one headless Chromium with its own empty profile.
type Browser struct {
	t   testing.TB
	ctx context.Context
}

// Chromium returns the path of the Chromium binary: $CHROMIUM, or the first of
// the usual names on PATH; "" if there is none.
func Chromium() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// New starts Chromium for t and stops it when t ends. When t fails, the page
// as it was is saved as "<test>-failure.png".
func New(t testing.TB) *Browser {
	t.Helper()
	path := Chromium()
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("browsertest: Chromium not found (apt-get install -y chromium, or set CHROMIUM)")
		}
		t.Skip("browsertest: Chromium not found; install Debian's chromium to run the browser tests")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	if err := chromedp.Do(ctx); err != nil {
		cancelCtx()
		cancelAlloc()
		t.Fatalf("browsertest: start Chromium %s: %v", path, err)
	}
	b := &Browser{t: t, ctx: ctx}
	t.Cleanup(func() {
		if t.Failed() {
			b.Screenshot("failure")
		}
		cancelCtx()
		cancelAlloc()
	})
	return b
}

// Context is the browser's tab context, for chromedp.Do and chromedp.Run
// (chromedp v0.23's generic API: docs/API.md in the module).
func (b *Browser) Context() context.Context { return b.ctx }

// Run runs actions in the tab with a time limit, failing the test with what
// was being done when one of them fails.
func (b *Browser) Run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %s: %v", what, err)
	}
}

// Viewport resizes the window, e.g. to a phone's 390x844.
func (b *Browser) Viewport(width, height int64) {
	b.t.Helper()
	b.Run("resize viewport", chromedp.EmulateViewport(width, height))
}

// Screenshot saves the full page as "<test>-<name>.png" in ArtifactsDir and
// returns its path ("" if it could not be taken; the reason is logged).
func (b *Browser) Screenshot(name string) string {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 means PNG
	if err != nil {
		b.t.Logf("browsertest: screenshot %s: %v", name, err)
		return ""
	}
	dir := ArtifactsDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Logf("browsertest: screenshot %s: %v", name, err)
		return ""
	}
	path := filepath.Join(dir, fileName(b.t.Name()+"-"+name)+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Logf("browsertest: screenshot %s: %v", name, err)
		return ""
	}
	b.t.Logf("browsertest: screenshot %s", path)
	return path
}

// ArtifactsDir is where screenshots go: $E2E_ARTIFACTS, or artifacts/e2e at
// the root of the module (ignored by git).
func ArtifactsDir() string {
	if d := os.Getenv("E2E_ARTIFACTS"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return filepath.Join(os.TempDir(), "e2e-artifacts")
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "artifacts", "e2e")
		}
		if filepath.Dir(d) == d {
			return filepath.Join(os.TempDir(), "e2e-artifacts")
		}
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func fileName(s string) string { return unsafeName.ReplaceAllString(s, "_") }

// Get runs one action that returns a value (a text, a location, an
// evaluation), failing the test with what was being done.
func Get[T any](b *Browser, what string, action chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		b.t.Fatalf("browser: %s: %v", what, err)
	}
	return v
}

// Phone is the viewport of a small phone, 390 CSS pixels wide.
const PhoneWidth, PhoneHeight = 390, 844

// WantFitsWidth fails the test (and goes on) when the page is wider than
// the viewport, which on a phone means scrolling sideways; the message
// names the elements that stick out. The page is saved as a screenshot
// named name either way.
func (b *Browser) WantFitsWidth(name string) {
	b.t.Helper()
	b.Screenshot(name)
	w := Get(b, "page width", chromedp.Evaluate[[]int](`[document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]`))
	if len(w) == 2 && w[0] <= w[1] {
		return
	}
	wide := Get(b, "what sticks out", chromedp.Evaluate[string](`(() => {
		const limit = document.scrollingElement.clientWidth, out = [];
		for (const el of document.body.querySelectorAll("*")) {
			const r = el.getBoundingClientRect(), right = Math.max(r.right, r.left + el.scrollWidth);
			if (right > limit + 0.5) {
				out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className.trim().replace(/\s+/g, ".") : "") + " (" + Math.round(right) + "px)");
			}
		}
		return out.slice(-8).join(", ");
	})()`))
	b.t.Errorf("browser: %s: the page is %dpx wide in a %dpx viewport, so it scrolls sideways; sticking out: %s", name, w[0], w[1], wide)
}
