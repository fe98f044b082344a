package kiosks

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"conference/badges/token"
	"conference/hub/conferences"
	"conference/shared/eventstore"
	"conference/shared/ids"
	"conference/shared/onsite"
	"conference/shared/sqldb"
)

// Registry is the kiosk registry on the hub's SQLite database (the
// migrations.Kiosks component). It is safe for concurrent use.
type Registry struct {
	db  *sqldb.DB
	cfg Config

	keyMu sync.Mutex
	key   ed25519.PrivateKey // cached after first load

	listenMu  sync.Mutex
	listeners map[int]func(kioskID string)
	nextID    int
}

// New returns a registry over db (the hub store's DB()).
func New(db *sqldb.DB, cfg Config) (*Registry, error) {
	if db == nil || cfg.Conferences == nil {
		return nil, errors.New("kiosks: a database and a conference owner check are required")
	}
	if cfg.PairingTTL <= 0 {
		cfg.PairingTTL = DefaultPairingTTL
	}
	if cfg.CertificateValidity <= 0 {
		cfg.CertificateValidity = DefaultCertificateValidity
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Registry{db: db, cfg: cfg, listeners: map[int]func(string){}}, nil
}

func (r *Registry) now() time.Time { return r.cfg.Now().UTC() }

// CreateKiosk registers a kiosk for one of the organizer's conferences and
// returns its one-time pairing code.
func (r *Registry) CreateKiosk(ctx context.Context, organizerID, conferenceID uuid.UUID, name string) (Created, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 || !utf8.ValidString(name) {
		return Created{}, fmt.Errorf("create kiosk: %w: name must be 1 to 100 characters", ErrInvalid)
	}
	if _, err := r.cfg.Conferences.GetConference(ctx, organizerID, conferenceID); err != nil {
		if errors.Is(err, conferences.ErrNotFound) {
			return Created{}, fmt.Errorf("create kiosk: conference %s: %w", conferenceID, ErrNotFound)
		}
		return Created{}, fmt.Errorf("create kiosk: %w", err)
	}
	now := r.now().Truncate(time.Millisecond)
	code := ids.NewAccessCode()
	k := Kiosk{ID: ids.New().String(), OrganizerID: organizerID, ConferenceID: conferenceID, Name: name,
		CreatedAt: now, PairingExpiresAt: now.Add(r.cfg.PairingTTL)}
	codeHash := hashCode(code)
	_, err := r.db.ExecContext(ctx, `INSERT INTO kiosks (id, organizer_id, conference_id, name, created_at,
		pairing_code_hash, pairing_expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		k.ID, organizerID[:], conferenceID[:], name, now.UnixMilli(), codeHash[:], k.PairingExpiresAt.UnixMilli())
	if err != nil {
		return Created{}, fmt.Errorf("create kiosk %q: %w", name, err)
	}
	if r.cfg.OnCreated != nil {
		r.cfg.OnCreated(ctx, k)
	}
	return Created{Kiosk: k, PairingCode: code, ExpiresAt: k.PairingExpiresAt}, nil
}

// Pair exchanges a pairing code for a device credential, the hub's public
// key and a certificate for the kiosk's public key. A code works once,
// within its time; any failure is ErrPairingRefused and changes nothing.
func (r *Registry) Pair(ctx context.Context, code string, kioskKey ed25519.PublicKey) (Pairing, error) {
	if len(kioskKey) != ed25519.PublicKeySize {
		return Pairing{}, fmt.Errorf("pair: %w: public key must be %d bytes, got %d", ErrInvalid, ed25519.PublicKeySize, len(kioskKey))
	}
	norm, ok := normalizeCode(code)
	if !ok {
		return Pairing{}, fmt.Errorf("pair: %w", ErrPairingRefused)
	}
	hubKey, err := r.SigningKey(ctx)
	if err != nil {
		return Pairing{}, fmt.Errorf("pair: %w", err)
	}
	codeHash := hashCode(norm)
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return Pairing{}, fmt.Errorf("pair: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	var (
		id      Identity
		org     []byte
		conf    []byte
		expires int64
		revoked sql.NullInt64
	)
	err = tx.QueryRowContext(ctx, `SELECT id, organizer_id, conference_id, name, pairing_expires_at, revoked_at
		FROM kiosks WHERE pairing_code_hash = $1`, codeHash[:]).Scan(&id.KioskID, &org, &conf, &id.Name, &expires, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return Pairing{}, fmt.Errorf("pair: %w", ErrPairingRefused)
	}
	if err != nil {
		return Pairing{}, fmt.Errorf("pair: look up code: %w", err)
	}
	now := r.now()
	if revoked.Valid || now.UnixMilli() >= expires {
		return Pairing{}, fmt.Errorf("pair: %w", ErrPairingRefused)
	}
	id.OrganizerID, id.ConferenceID = uuid.UUID(org), uuid.UUID(conf)
	cert, err := token.IssueCertificate(hubKey, id.KioskID, kioskKey, now.Add(-5*time.Minute), now.Add(r.cfg.CertificateValidity))
	if err != nil {
		return Pairing{}, fmt.Errorf("pair: %w", err)
	}
	certText, _ := cert.MarshalText()
	credential := newCredential()
	credHash := sha256.Sum256([]byte(credential))
	res, err := tx.ExecContext(ctx, `UPDATE kiosks SET pairing_code_hash = NULL, pairing_expires_at = NULL,
		paired_at = $1, credential_hash = $2, public_key = $3, certificate = $4
		WHERE id = $5 AND pairing_code_hash = $6`,
		now.UnixMilli(), credHash[:], []byte(kioskKey), string(certText), id.KioskID, codeHash[:])
	if err != nil {
		return Pairing{}, fmt.Errorf("pair kiosk %s: %w", id.KioskID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return Pairing{}, fmt.Errorf("pair: %w", ErrPairingRefused)
	}
	if err := tx.Commit(); err != nil {
		return Pairing{}, fmt.Errorf("pair kiosk %s: commit: %w", id.KioskID, err)
	}
	return Pairing{Kiosk: id, Credential: credential,
		HubPublicKey: hubKey.Public().(ed25519.PublicKey), Certificate: cert}, nil
}

// Authenticate returns the kiosk a device credential belongs to.
func (r *Registry) Authenticate(ctx context.Context, credential string) (Identity, error) {
	if credential == "" || len(credential) > 200 {
		return Identity{}, ErrUnauthorized
	}
	h := sha256.Sum256([]byte(credential))
	var (
		id        Identity
		org, conf []byte
		revoked   sql.NullInt64
	)
	err := r.db.QueryRowContext(ctx, `SELECT id, organizer_id, conference_id, name, revoked_at FROM kiosks
		WHERE credential_hash = $1`, h[:]).Scan(&id.KioskID, &org, &conf, &id.Name, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return Identity{}, ErrUnauthorized
	}
	if err != nil {
		return Identity{}, fmt.Errorf("authenticate kiosk: %w", err)
	}
	if revoked.Valid {
		return Identity{}, fmt.Errorf("kiosk %s: %w", id.KioskID, ErrRevoked)
	}
	id.OrganizerID, id.ConferenceID = uuid.UUID(org), uuid.UUID(conf)
	return id, nil
}

// Revoke refuses the kiosk from now on and tells every OnRevoke listener,
// so a live sync connection closes at once. The first revocation also
// publishes onsite.KioskRevoked through Config.Outbox, in the same
// transaction, for every kiosk of the conference to learn: their verifiers
// then refuse badges the kiosk signs after this moment. Revoking twice is a
// no-op that keeps the first time.
func (r *Registry) Revoke(ctx context.Context, organizerID uuid.UUID, kioskID string) error {
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("revoke kiosk %s: begin: %w", kioskID, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	var (
		conf    []byte
		name    string
		revoked sql.NullInt64
	)
	err = tx.QueryRowContext(ctx, `SELECT conference_id, name, revoked_at FROM kiosks WHERE id = $1 AND organizer_id = $2`,
		kioskID, organizerID[:]).Scan(&conf, &name, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("revoke kiosk %s: %w", kioskID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("revoke kiosk %s: %w", kioskID, err)
	}
	published := false
	if !revoked.Valid {
		now := r.now().Truncate(time.Millisecond)
		// Conditional, so that of two replicas revoking at once only one
		// records (and publishes) the revocation.
		res, err := tx.ExecContext(ctx, `UPDATE kiosks SET revoked_at = $1, pairing_code_hash = NULL, pairing_expires_at = NULL
			WHERE id = $2 AND revoked_at IS NULL`, now.UnixMilli(), kioskID)
		if err != nil {
			return fmt.Errorf("revoke kiosk %s: %w", kioskID, err)
		}
		won, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("revoke kiosk %s: %w", kioskID, err)
		}
		if won == 1 && r.cfg.Outbox != nil {
			data, err := json.Marshal(onsite.KioskRevoked{ConferenceID: uuid.UUID(conf), KioskID: kioskID, Name: name, At: now})
			if err != nil {
				return fmt.Errorf("revoke kiosk %s: %w", kioskID, err)
			}
			msg := eventstore.Message{ID: ids.New(), Kind: eventstore.KindEvent, Type: onsite.KioskRevoked{}.EventType(), Data: data}
			if err := r.cfg.Outbox.EnqueueTx(ctx, tx, msg); err != nil {
				return fmt.Errorf("revoke kiosk %s: %w", kioskID, err)
			}
			published = true
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("revoke kiosk %s: commit: %w", kioskID, err)
	}
	if published {
		r.cfg.Outbox.NotifyMessages()
	}
	r.listenMu.Lock()
	fns := make([]func(string), 0, len(r.listeners))
	for _, fn := range r.listeners {
		fns = append(fns, fn)
	}
	r.listenMu.Unlock()
	for _, fn := range fns {
		fn(kioskID)
	}
	return nil
}

// OnRevoke calls fn (which must not block) with the id of every kiosk
// revoked through this registry. The sync server subscribes to close
// connections, and tells the other hub replicas (hubserver's notices).
func (r *Registry) OnRevoke(fn func(kioskID string)) (cancel func()) {
	r.listenMu.Lock()
	defer r.listenMu.Unlock()
	id := r.nextID
	r.nextID++
	r.listeners[id] = fn
	return func() {
		r.listenMu.Lock()
		defer r.listenMu.Unlock()
		delete(r.listeners, id)
	}
}

// RecordPresence stores what the sync server heard, in one transaction.
func (r *Registry) RecordPresence(ctx context.Context, seen []Presence) error {
	if len(seen) == 0 {
		return nil
	}
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record kiosk presence: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	stmt, err := tx.PrepareContext(ctx, `UPDATE kiosks SET last_seen_at = CASE WHEN COALESCE(last_seen_at, 0) > $1 THEN last_seen_at ELSE $1 END,
		down_checkpoint = $2, up_acked = $3, pending_uploads = $4, software = $5 WHERE id = $6`)
	if err != nil {
		return fmt.Errorf("record kiosk presence: %w", err)
	}
	defer stmt.Close()
	for _, p := range seen {
		if _, err := stmt.ExecContext(ctx, p.At.UnixMilli(), p.DownCheckpoint, p.UpAcked, max(p.PendingUploads, 0),
			p.Software, p.KioskID); err != nil {
			return fmt.Errorf("record presence of kiosk %s: %w", p.KioskID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record kiosk presence: commit: %w", err)
	}
	return nil
}

// RecordConvergence stores the outcome of a kiosk's digest comparison at
// hub log position: differs names the parts that differed (none: in
// sync). A run of differing comparisons keeps the time of its first; an
// outcome older than the one stored (a slow replica) changes nothing.
func (r *Registry) RecordConvergence(ctx context.Context, kioskID string, at time.Time, position int64, differs []string) error {
	for _, d := range differs {
		if d == "" || strings.Contains(d, ",") {
			return fmt.Errorf("record convergence of kiosk %s: %w: part name %q", kioskID, ErrInvalid, d)
		}
	}
	_, err := r.db.ExecContext(ctx, `UPDATE kiosks SET digest_checked_at = $1, digest_position = $2, digest_differs = $3,
		differs_since = CASE WHEN $3 = '' THEN NULL WHEN differs_since IS NULL THEN $1 ELSE differs_since END
		WHERE id = $4 AND COALESCE(digest_checked_at, 0) <= $1`, at.UnixMilli(), position, strings.Join(differs, ","), kioskID)
	if err != nil {
		return fmt.Errorf("record convergence of kiosk %s: %w", kioskID, err)
	}
	return nil
}

// hashCode hashes a normalized pairing code. Codes live a day at most and
// guessing is rate limited (5 a second across clients: under half a
// million tries a day among 30^8 codes), so a fast hash is enough.
func hashCode(code string) [32]byte {
	return sha256.Sum256([]byte("conference/kiosk-pairing-code\x00" + code))
}

// normalizeCode accepts what people type: any case, with or without the
// hyphen or spaces.
func normalizeCode(code string) (string, bool) {
	code = strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
	if len(code) != ids.AccessCodeLength {
		return "", false
	}
	return code[:ids.AccessCodeLength/2] + "-" + code[ids.AccessCodeLength/2:], true
}

// newCredential returns 256 random bits, prefixed so a leaked credential
// is recognisable in logs and secret scanners.
func newCredential() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails since Go 1.24 (aborts instead)
	return "kc_" + base64.RawURLEncoding.EncodeToString(b[:])
}
