package sqlitestore

import (
	"database/sql/driver"
	"strings"
	"testing"

	"conference/shared/ids"
)

// A row whose column holds a type that cannot stand for the schema's is an
// error naming the position and the column, not a zero value passed on.
func TestDecodeEventRefusesAColumnOfTheWrongType(t *testing.T) {
	id := ids.New()
	good := []driver.Value{int64(7), id[:], "order-1", "order", int64(1), "test.Happened", int64(1), []byte(`{}`),
		"hub", int64(7), int64(6), int64(99), nil, nil, int64(1000)}
	e, err := decodeEvent(good)
	if err != nil || e.Position != 7 || e.EventID != id || e.OriginSeq != 7 || e.Seen != 6 || e.RecordedAt.UnixMilli() != 1000 {
		t.Fatalf("good row: %+v, %v", e, err)
	}
	// Text where a blob belongs, or the other way round, is read as Scan
	// would read it: a row written by hand keeps its payload as text.
	mixed := append([]driver.Value(nil), good...)
	mixed[7], mixed[2] = `{}`, []byte("order-1")
	if e, err := decodeEvent(mixed); err != nil || string(e.Data) != `{}` || e.StreamID != "order-1" {
		t.Fatalf("payload as text, stream id as blob: %+v, %v", e, err)
	}
	bad := append([]driver.Value(nil), good...)
	bad[9] = "seven"
	if _, err := decodeEvent(bad); err == nil || !strings.Contains(err.Error(), "position 7") || !strings.Contains(err.Error(), "column 9") {
		t.Fatalf("origin_seq as text: %v, want an error naming position 7 and column 9", err)
	}
	bad = append([]driver.Value(nil), good...)
	bad[1] = []byte{1, 2, 3}
	if _, err := decodeEvent(bad); err == nil || !strings.Contains(err.Error(), "bad event id") {
		t.Fatalf("a 3-byte event id: %v, want a bad event id error", err)
	}
}
