// Package kiosks is the hub's kiosk registry: the kiosks organizers create
// for their conferences, pairing (a one-time code exchanged for a device
// credential and a certificate for the kiosk's badge-signing key), device
// authentication for the sync transport, revocation, and what the sync
// server last heard from each kiosk.
//
// Secrets never rest in the database: pairing codes and credentials are
// stored as SHA-256 hashes. Everything an organizer reaches is scoped to
// the organizer, like hub/conferences: another tenant's kiosk is
// ErrNotFound, exactly like a missing one.
package kiosks

import (
	"context"
	"crypto/ed25519"
	"errors"
	"time"

	"github.com/google/uuid"

	"conference/badges/token"
	"conference/hub/conferences"
	"conference/shared/eventstore"
	"conference/shared/eventstore/sqlitestore"
)

// Errors callers branch on with errors.Is.
var (
	// ErrNotFound: no such kiosk or conference for this organizer.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: bad input (empty name, malformed public key).
	ErrInvalid = errors.New("invalid input")
	// ErrPairingRefused: the code is unknown, expired, already used, or
	// its kiosk was revoked. One error for all, so a guesser learns nothing.
	ErrPairingRefused = errors.New("pairing code refused")
	// ErrUnauthorized: the credential is unknown.
	ErrUnauthorized = errors.New("unknown kiosk credential")
	// ErrRevoked: the credential belongs to a revoked kiosk.
	ErrRevoked = errors.New("kiosk revoked")
)

// Defaults of Config.
const (
	// DefaultPairingTTL lets an organizer create the kiosks the day
	// before and pair them at the venue. A code still works once only,
	// and the organizer can cancel it (CancelPairing).
	DefaultPairingTTL          = 24 * time.Hour
	DefaultCertificateValidity = 365 * 24 * time.Hour
)

// Kiosk is one registered kiosk as the organizer sees it.
type Kiosk struct {
	ID           string
	OrganizerID  uuid.UUID
	ConferenceID uuid.UUID
	Name         string
	CreatedAt    time.Time
	// PairingExpiresAt is set while a pairing code is outstanding.
	PairingExpiresAt time.Time
	PairedAt         time.Time // zero until paired
	RevokedAt        time.Time // zero unless revoked
	// What the sync server last heard (zero before the first connection).
	LastSeen       time.Time
	DownCheckpoint int64 // hub log position the kiosk has applied
	UpAcked        int64 // the kiosk's last origin_seq stored at the hub
	PendingUploads int64 // events the kiosk holds that the hub has not acked
	Software       string
	// Convergence is what the kiosk's last digest comparison said.
	Convergence Convergence
	// Allocations are the seats per seat type the kiosk holds, when the
	// registry was given Config.AllocationsOf.
	Allocations map[uuid.UUID]int
}

// Convergence is the outcome of a kiosk's latest comparison of its digests
// with the hub's, at the kiosk's cut (sync/digest): whether the two hold
// the same state of the conference.
type Convergence struct {
	// CheckedAt is when the hub answered it; zero before the first.
	CheckedAt time.Time
	// Position is the hub log position the kiosk had applied.
	Position int64
	// Differs names the digest parts that differed; empty when in sync.
	Differs []string
	// DiffersSince is the first comparison of the current run of
	// differing ones; zero while in sync.
	DiffersSince time.Time
}

// Compared reports whether the kiosk ever compared.
func (c Convergence) Compared() bool { return !c.CheckedAt.IsZero() }

// InSync reports whether the latest comparison agreed.
func (c Convergence) InSync() bool { return c.Compared() && len(c.Differs) == 0 }

// Paired reports whether the kiosk exchanged its code for a credential.
func (k Kiosk) Paired() bool { return !k.PairedAt.IsZero() }

// Revoked reports whether the organizer revoked the kiosk.
func (k Kiosk) Revoked() bool { return !k.RevokedAt.IsZero() }

// Identity is who an authenticated kiosk is.
type Identity struct {
	KioskID      string
	OrganizerID  uuid.UUID
	ConferenceID uuid.UUID
	Name         string
}

// Conferences are the conferences whose events the kiosk receives.
func (i Identity) Conferences() []uuid.UUID { return []uuid.UUID{i.ConferenceID} }

// Created is a new kiosk with its pairing code, shown to the organizer once.
type Created struct {
	Kiosk       Kiosk
	PairingCode string
	ExpiresAt   time.Time
}

// Pairing is what a kiosk receives for a valid code. Credential is shown
// this once; the hub keeps only its hash.
type Pairing struct {
	Kiosk        Identity
	Credential   string
	HubPublicKey ed25519.PublicKey
	Certificate  token.Certificate
}

// Presence is what the sync server heard from a connected kiosk.
type Presence struct {
	KioskID        string
	At             time.Time
	DownCheckpoint int64
	UpAcked        int64
	PendingUploads int64
	Software       string
}

// ConferenceOwner checks that a conference belongs to an organizer;
// conferences.Service satisfies it.
type ConferenceOwner interface {
	GetConference(ctx context.Context, organizerID, conferenceID uuid.UUID) (*conferences.Conference, error)
}

// AllocationsFunc reports the seats per seat type a kiosk holds.
type AllocationsFunc func(ctx context.Context, conferenceID uuid.UUID, kioskID string) (map[uuid.UUID]int, error)

// Config wires a Registry.
type Config struct {
	// Conferences checks ownership when creating a kiosk. Required.
	Conferences ConferenceOwner
	// AllocationsOf fills Kiosk.Allocations in List (optional: the
	// allocations live in the registrations domain).
	AllocationsOf AllocationsFunc
	// PairingTTL is how long a pairing code works (DefaultPairingTTL).
	PairingTTL time.Duration
	// CertificateValidity bounds the kiosk key certificate
	// (DefaultCertificateValidity).
	CertificateValidity time.Duration
	// OnCreated, when set, is told of every kiosk created (the hub records
	// its name in the event log, so kiosks show names, not ids). It must
	// not fail the creation: the kiosk and its code exist by then.
	OnCreated func(ctx context.Context, k Kiosk)
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Outbox publishes the registry's integration event (a kiosk revoked)
	// atomically with the change; the hub copies it into the event log,
	// where sync carries it to the conference's kiosks. Without one,
	// revocations reach no kiosk.
	Outbox Outbox
}

// Outbox writes integration events inside the registry's transaction;
// *sqlitestore.Store is one.
type Outbox interface {
	EnqueueTx(ctx context.Context, tx sqlitestore.Tx, msgs ...eventstore.Message) error
	// NotifyMessages wakes the dispatcher after the commit.
	NotifyMessages()
}
