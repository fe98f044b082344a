package limits_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"conference/hub/limits"
	"conference/migrations"
	"conference/shared/eventstore/backendtest"
	"conference/shared/webui"
)

func TestABucketEmptiesRefillsAndTakesTokensBack(t *testing.T) {
	store := backendtest.Open(t, backendtest.Options{Components: []migrations.Component{migrations.Web}})
	now := time.Date(2031, 5, 10, 9, 0, 0, 0, time.UTC)
	l := webui.PerMinute(3, func() time.Time { return now }).Shared(limits.New(store.DB()), "test")
	for i := range 3 {
		if ok, _ := l.Take("10.0.0.1"); !ok {
			t.Fatalf("attempt %d refused within the limit", i+1)
		}
	}
	ok, wait := l.Take("10.0.0.1")
	if ok || wait <= 0 || wait > 20*time.Second {
		t.Fatalf("fourth attempt: %v, wait %s; want refused, at most 20 s", ok, wait)
	}
	if ok, _ := l.MayTry("10.0.0.2"); !ok {
		t.Fatal("another key is limited too")
	}
	if ok, _ := l.MayTry("10.0.0.1"); ok {
		t.Fatal("MayTry says yes to an empty bucket")
	}
	l.GiveBack("10.0.0.1")
	if ok, _ := l.Take("10.0.0.1"); !ok {
		t.Fatal("a token given back was not there")
	}
	now = now.Add(20 * time.Second)
	if ok, _ := l.Take("10.0.0.1"); !ok {
		t.Fatal("no token 20 s later at 3 a minute")
	}
}

// Two replicas share one limit: together they never let more through than
// the burst, however the attempts are spread.
func TestReplicasCountOneLimitTogether(t *testing.T) {
	stores := backendtest.Replicas(t, 2, backendtest.Options{Components: []migrations.Component{migrations.Web}})
	now := time.Date(2031, 5, 10, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	var passed atomic.Int64
	var wg sync.WaitGroup
	for i := range 40 {
		l := webui.PerMinute(10, clock).Shared(limits.New(stores[i%2].DB()), "test")
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, _ := l.Take("guesser"); ok {
				passed.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := passed.Load(); n != 10 {
		t.Fatalf("%d of 40 attempts passed a limit of 10 shared by two replicas", n)
	}
}
