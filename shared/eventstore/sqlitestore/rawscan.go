package sqlitestore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventstore"
	"conference/shared/hlc"
)

// queryEvents runs a query selecting eventColumns on conn and decodes the
// rows from the driver's own values. database/sql's Scan converts every
// value again by reflection and copies every blob a second time: reading
// the log that way was a fifth slower (storebench). The statement is
// prepared for each call, so this is for reads of many rows.
func queryEvents(ctx context.Context, conn *sql.Conn, query string, capacity int, args ...any) ([]eventstore.Event, error) {
	named := make([]driver.NamedValue, len(args))
	for i, a := range args {
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	out := make([]eventstore.Event, 0, capacity)
	err := conn.Raw(func(dc any) error {
		q, ok := dc.(driver.QueryerContext)
		if !ok {
			return fmt.Errorf("sqlite connection %T cannot query", dc)
		}
		rows, err := q.QueryContext(ctx, query, named)
		if err != nil {
			return err
		}
		defer rows.Close()
		dest := make([]driver.Value, len(rows.Columns()))
		for {
			err := rows.Next(dest)
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			e, err := decodeEvent(dest)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
	})
	return out, err
}

// queryEventsOnPool is queryEvents on a connection of the read pool.
func (s *Store) queryEventsOnPool(ctx context.Context, query string, capacity int, args ...any) ([]eventstore.Event, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return queryEvents(ctx, conn, query, capacity, args...)
}

// columns reads driver values by the type their column must have,
// remembering the first that has another.
type columns struct {
	v   []driver.Value
	err error
}

func (c *columns) fail(i int, want string) {
	if c.err == nil {
		c.err = fmt.Errorf("column %d holds %T, not %s", i, c.v[i], want)
	}
}

func (c *columns) int(i int) int64 {
	x, ok := c.v[i].(int64)
	if !ok {
		c.fail(i, "an integer")
	}
	return x
}

// text and blob take either kind, as Scan would: SQLite stores a value
// with the type it was written with (a row written by hand with '{}' as
// its data holds text), and one such row must not stop the log.
func (c *columns) text(i int) string {
	switch x := c.v[i].(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	c.fail(i, "text")
	return ""
}

// blob allows NULL, which the driver also returns for an empty blob.
func (c *columns) blob(i int) []byte {
	switch x := c.v[i].(type) {
	case []byte:
		return x
	case string:
		return []byte(x)
	case nil:
		return nil
	}
	c.fail(i, "a blob")
	return nil
}

// decodeEvent builds an event from the values of eventColumns.
func decodeEvent(v []driver.Value) (eventstore.Event, error) {
	c := columns{v: v}
	e := eventstore.Event{
		Position: c.int(0), StreamID: c.text(2), StreamType: c.text(3), StreamVersion: c.int(4),
		Type: c.text(5), Schema: int(c.int(6)), Data: c.blob(7), Origin: c.text(8), OriginSeq: c.int(9),
		Seen: c.int(10), HLC: hlc.Timestamp(c.int(11)), RecordedAt: time.UnixMilli(c.int(14)).UTC(),
		CorrelationID: optionalID(c.blob(12)), CausationID: optionalID(c.blob(13)),
	}
	id := c.blob(1)
	if c.err != nil {
		return e, fmt.Errorf("event at position %v: %w", v[0], c.err)
	}
	var err error
	if e.EventID, err = uuid.FromBytes(id); err != nil {
		return e, fmt.Errorf("event at position %d: bad event id: %w", e.Position, err)
	}
	return e, nil
}
