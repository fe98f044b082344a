package webui_test

import (
	"fmt"
	"testing"
	"time"

	"conference/shared/webui"
	"conference/shared/webui/webuitest"
)

func TestRightGuessesCostNothing(t *testing.T) {
	clock := webuitest.NewClock(time.Date(2031, 5, 10, 9, 0, 0, 0, time.UTC))
	g := webui.NewGuesses(3, 5, clock.Now)
	// 500 registrants behind one address find their orders in a minute.
	for i := range 500 {
		guess, wait := g.Try("10.0.0.1", fmt.Sprint("order-", i))
		if guess == nil {
			t.Fatalf("look-up %d refused (wait %s): right guesses must not count", i, wait)
		}
	}
}

func TestWrongGuessesAreLimitedPerTargetWhateverTheAddress(t *testing.T) {
	clock := webuitest.NewClock(time.Date(2031, 5, 10, 9, 0, 0, 0, time.UTC))
	g := webui.NewGuesses(3, 100, clock.Now)
	for i := range 3 {
		guess, _ := g.Try(fmt.Sprint("10.0.0.", i), "order-a")
		if guess == nil {
			t.Fatalf("wrong guess %d refused within the target's limit", i+1)
		}
		guess.Wrong()
	}
	guess, wait := g.Try("10.9.9.9", "order-a")
	if guess != nil {
		t.Fatal("a fourth wrong guess at one order from a fresh address was allowed")
	}
	// 3 a minute: the next guess is possible in 20 s.
	if wait <= 0 || wait > 20*time.Second || webui.RetryAfter(wait) != "20" {
		t.Fatalf("wait %s (Retry-After %s), want 20 s", wait, webui.RetryAfter(wait))
	}
	guess, _ = g.Try("10.9.9.9", "order-b")
	if guess == nil {
		t.Fatal("a refused try spent the address's guess, or another order was limited")
	}
	guess.Wrong()
	clock.Add(20 * time.Second)
	guess, _ = g.Try("10.9.9.9", "order-a")
	if guess == nil {
		t.Fatal("refused after the target's guess came back")
	}
	guess.Wrong()
}

func TestWrongGuessesFromOneAddressAreLimitedAcrossTargets(t *testing.T) {
	clock := webuitest.NewClock(time.Date(2031, 5, 10, 9, 0, 0, 0, time.UTC))
	g := webui.NewGuesses(3, 5, clock.Now)
	for i := range 5 {
		guess, _ := g.Try("10.0.0.1", fmt.Sprint("order-", i), fmt.Sprint("email-", i))
		if guess == nil {
			t.Fatalf("wrong guess %d refused within the address's limit", i+1)
		}
		guess.Wrong()
	}
	guess, wait := g.Try("10.0.0.1", "order-new", "email-new")
	if guess != nil || webui.RetryAfter(wait) != "12" { // 5 a minute
		t.Fatalf("sixth wrong guess from one address: %v, Retry-After %s; want refused, 12", guess, webui.RetryAfter(wait))
	}
	// The refused try took nothing from the targets it named.
	for range 3 {
		guess, _ := g.Try("10.0.0.2", "order-new")
		if guess == nil {
			t.Fatal("a refused try spent a target's guess")
		}
		guess.Wrong()
	}
}
