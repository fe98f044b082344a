package mail

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"conference/migrations"
	"conference/shared/sqldb"
)

//go:embed schema/*.sql schema_pg/*.sql
var schemaFiles embed.FS

// Schema is the mail log's migration component (both databases); the hub
// applies it with its own.
var Schema = migrations.FromFS("mail", schemaFiles, "schema", "schema_pg")

// Status is where a mail of the log is.
type Status string

// Statuses of the mail log.
const (
	StatusSent    Status = "sent"
	StatusFailed  Status = "failed"
	StatusSkipped Status = "skipped"
)

// Record is one mail of the mail log.
type Record struct {
	ID           uuid.UUID
	Kind         Kind
	ConferenceID uuid.UUID // uuid.Nil for organizer account mail
	To, Subject  string
	Status       Status
	Attempts     int
	LastError    string
	// Via and File are the sender's Receipt of a sent mail.
	Via, File string
	CreatedAt time.Time
	UpdatedAt time.Time
	SentAt    time.Time // zero until sent
	// Dead: the bus gave up on the mail (a dead letter), and only the
	// organizer sending it again retries it.
	Dead bool
}

// mailLog keeps the records in the hub's database, through the store's
// write path (SQL both databases run).
type mailLog struct{ tables sqldb.Tables }

const recordColumns = `message_id, kind, conference_id, recipient, subject, status, attempts, last_error, via, file,
	created_at, updated_at, sent_at`

// save records an attempt at a mail: the first creates its row, later
// ones update it and count. What a failed attempt did not learn (the
// recipient, the subject) stays as an earlier attempt wrote it.
func (l mailLog) save(ctx context.Context, r Record) error {
	var conference, sent any
	if r.ConferenceID != uuid.Nil {
		conference = r.ConferenceID[:]
	}
	if !r.SentAt.IsZero() {
		sent = r.SentAt.UnixMilli()
	}
	at := r.UpdatedAt.UnixMilli()
	err := l.tables.Write(ctx, func(tx sqldb.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO mail_log (`+recordColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $9, $10, $10, $11)
			ON CONFLICT (message_id) DO UPDATE SET
				conference_id = COALESCE(excluded.conference_id, mail_log.conference_id),
				recipient = CASE WHEN excluded.recipient <> '' THEN excluded.recipient ELSE mail_log.recipient END,
				subject = CASE WHEN excluded.subject <> '' THEN excluded.subject ELSE mail_log.subject END,
				status = excluded.status, attempts = mail_log.attempts + 1, last_error = excluded.last_error,
				via = excluded.via, file = excluded.file, updated_at = excluded.updated_at, sent_at = excluded.sent_at`,
			r.ID[:], string(r.Kind), conference, r.To, r.Subject, string(r.Status), r.LastError, r.Via, r.File, at, sent)
		return err
	})
	if err != nil {
		return fmt.Errorf("record mail %s: %w", r.ID, err)
	}
	return nil
}

// get returns the record of a mail; ok is false when it was never tried.
func (l mailLog) get(ctx context.Context, id uuid.UUID) (Record, bool, error) {
	rows, err := l.tables.DB().QueryContext(ctx, `SELECT `+recordColumns+` FROM mail_log WHERE message_id = $1`, id[:])
	if err != nil {
		return Record{}, false, fmt.Errorf("read mail %s: %w", id, err)
	}
	list, err := scanRecords(rows)
	if err != nil || len(list) == 0 {
		return Record{}, false, err
	}
	return list[0], true, nil
}

// list returns a conference's mails, newest first.
func (l mailLog) list(ctx context.Context, conferenceID uuid.UUID, limit int) ([]Record, error) {
	rows, err := l.tables.DB().QueryContext(ctx, `SELECT `+recordColumns+` FROM mail_log
		WHERE conference_id = $1 ORDER BY created_at DESC, message_id LIMIT $2`, conferenceID[:], limit)
	if err != nil {
		return nil, fmt.Errorf("list mail of %s: %w", conferenceID, err)
	}
	return scanRecords(rows)
}

func scanRecords(rows *sql.Rows) ([]Record, error) {
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var (
			r                Record
			id, conference   []byte
			kind, status     string
			created, updated int64
			sent             sql.NullInt64
		)
		if err := rows.Scan(&id, &kind, &conference, &r.To, &r.Subject, &status, &r.Attempts, &r.LastError, &r.Via, &r.File,
			&created, &updated, &sent); err != nil {
			return nil, fmt.Errorf("scan mail record: %w", err)
		}
		if len(id) != 16 || (conference != nil && len(conference) != 16) {
			return nil, errors.New("scan mail record: malformed id")
		}
		r.ID, r.Kind, r.Status = uuid.UUID(id), Kind(kind), Status(status)
		if conference != nil {
			r.ConferenceID = uuid.UUID(conference)
		}
		r.CreatedAt, r.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
		if sent.Valid {
			r.SentAt = time.UnixMilli(sent.Int64).UTC()
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
