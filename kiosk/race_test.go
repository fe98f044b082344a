//go:build race

package kiosk_test

// raceBuild shortens the crash test under the race detector, which slows
// every child start several times over; the plain run does the 200 kills.
const raceBuild = true
