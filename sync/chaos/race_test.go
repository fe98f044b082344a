//go:build race

package chaos

// raceBuild shortens the storm: the race detector slows every child
// several times over.
const raceBuild = true
