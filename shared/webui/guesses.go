package webui

import (
	"math"
	"strconv"
	"time"

	"golang.org/x/time/rate"
)

// Guesses limits wrong guesses of a secret (an access code) without
// locking out the people who know it:
//
//   - only wrong guesses count: a look-up that succeeds gives its guess
//     back (Guess.Right), so a crowd finding their orders never runs down
//     anyone's limit;
//   - wrong guesses are counted per target (the order, the access code,
//     the email being tried) at a strict rate, which is what stops
//     guessing one person's code even from many addresses;
//   - and per client address at a generous rate, which bounds a guesser
//     trying many targets from one address, while hundreds of registrants
//     behind one venue Wi-Fi address, each mistyping now and then, pass.
//
// A refused attempt spends nothing and says when to come back (for a
// Retry-After header).
type Guesses struct {
	byTarget, byAddr *Limiter
}

// NewGuesses allows perTarget wrong guesses per minute (all at once if
// need be) for each target and perAddr for each client address; now is
// the clock (time.Now when nil).
func NewGuesses(perTarget, perAddr int, now func() time.Time) *Guesses {
	return &Guesses{byTarget: PerMinute(perTarget, now), byAddr: PerMinute(perAddr, now)}
}

// NewGuessesAt is NewGuesses with explicit refill rates and bursts.
func NewGuessesAt(targetEvery rate.Limit, targetBurst int, addrEvery rate.Limit, addrBurst int, now func() time.Time) *Guesses {
	return &Guesses{byTarget: NewLimiter(targetEvery, targetBurst, now), byAddr: NewLimiter(addrEvery, addrBurst, now)}
}

// Guess is one attempt in flight: it counts as wrong unless Right is
// called.
type Guess struct {
	taken []taken
}

type taken struct {
	l   *Limiter
	key string
}

// Try spends one guess of addr and of every target key. When any of them
// has none left it spends nothing and returns nil with how long until a
// guess is possible again.
func (g *Guesses) Try(addr string, targets ...string) (*Guess, time.Duration) {
	guess := &Guess{}
	var wait time.Duration
	take := func(l *Limiter, key string) {
		ok, w := l.Take(key)
		if !ok {
			wait = max(wait, w, time.Nanosecond)
			return
		}
		guess.taken = append(guess.taken, taken{l: l, key: key})
	}
	take(g.byAddr, addr)
	for _, t := range targets {
		take(g.byTarget, t)
	}
	if wait > 0 {
		guess.Right() // give back what was taken
		return nil, wait
	}
	return guess, 0
}

// Right gives the guess back: the look-up succeeded (or never happened,
// the server failing first). Calling it twice gives back nothing more.
func (g *Guess) Right() {
	for _, t := range g.taken {
		t.l.GiveBack(t.key)
	}
	g.taken = nil
}

// RetryAfter is a Retry-After header value for wait: whole seconds,
// rounded up, at least 1.
func RetryAfter(wait time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(wait.Seconds()))))
}
