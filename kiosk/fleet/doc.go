// Package fleet holds tests of a conference's kiosks together, each a
// real `kiosk serve` process paired with one hub: badges printed at one
// door and checked at another, with and without a network. Everything is in
// the test files; it needs pdftoppm and zbarimg (poppler-utils,
// zbar-tools) to read the badges' QR codes as a scanner would.
package fleet
