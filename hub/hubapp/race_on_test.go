//go:build race

package hubapp_test

// raceEnabled slows the race test down to what -race can run in seconds.
const raceEnabled = true
