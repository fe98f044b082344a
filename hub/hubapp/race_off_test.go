//go:build !race

package hubapp_test

const raceEnabled = false
