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
//   - only wrong guesses count (Guess.Wrong): a look-up that succeeds
//     spends nothing, so a crowd finding their orders never runs down
//     anyone's limit, even all at once;
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

// Guess is one attempt in flight. It costs nothing until Wrong: a look-up
// that succeeds spends no guess, so no crowd of registrants finding their
// orders at once, however many share an address, runs down a limit.
type Guess struct {
	g       *Guesses
	addr    string
	targets []string
}

// Try checks that addr and every target key may guess, spending nothing.
// When any of them has no guess left it returns nil with how long until a
// guess is possible again.
func (g *Guesses) Try(addr string, targets ...string) (*Guess, time.Duration) {
	var wait time.Duration
	if ok, w := g.byAddr.MayTry(addr); !ok {
		wait = max(wait, w, time.Nanosecond)
	}
	for _, t := range targets {
		if ok, w := g.byTarget.MayTry(t); !ok {
			wait = max(wait, w, time.Nanosecond)
		}
	}
	if wait > 0 {
		return nil, wait
	}
	return &Guess{g: g, addr: addr, targets: targets}, 0
}

// Wrong spends the guess: one of addr and one of every target. Calling it
// twice spends nothing more.
func (g *Guess) Wrong() {
	if g.g == nil {
		return
	}
	g.g.byAddr.Take(g.addr)
	for _, t := range g.targets {
		g.g.byTarget.Take(t)
	}
	g.g = nil
}

// RetryAfter is a Retry-After header value for wait: whole seconds,
// rounded up, at least 1.
func RetryAfter(wait time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(wait.Seconds()))))
}

// Shared returns guesses with g's limits whose buckets live in b (name
// separates them from other limiters'): replicas of the hub then count
// one client's wrong guesses together.
func (g *Guesses) Shared(b Buckets, name string) *Guesses {
	return &Guesses{byTarget: g.byTarget.Shared(b, name+".target"), byAddr: g.byAddr.Shared(b, name+".addr")}
}
