// Package chaos holds the sync chaos test (issue 7): one hub and several
// kiosks run as real processes (the test binary re-executed in a child
// mode) behind fault-injecting TCP proxies, selling, checking in, being
// killed and restarted at random, until the links heal and every database
// is checked against the sync rules of DESIGN section 6.
//
// Everything is in the test files; run it with
//
//	go test -race ./sync/chaos/
//	CHAOS_SEED=7 go test -race -run 'TestSyncChaos' -v ./sync/chaos/
//
// A seed fixes every random choice of the harness and of each child
// process (faults, kills, actions); it cannot fix the operating system's
// scheduling, so a replay repeats the same storm, not the same interleaving.
package chaos
