package eventsourcing

import (
	"sync"
)

// VersionTeller is implemented by stores that know, without a query, the
// current version of a stream they wrote (sqlitestore does: it is the only
// writer of its file). ok is false when the store cannot tell.
type VersionTeller interface {
	StreamVersion(streamID string) (version int64, ok bool)
}

// streamCacheSize bounds how many streams a repository remembers; past it
// the cache starts over.
const streamCacheSize = 8192

// streamCache remembers the stored payloads of recently used streams, so
// that loading a stream the store reports unchanged costs no query: the
// API reads an order on every registrant request and long poll, and the
// bus's handlers load it again for each command. Payloads, not decoded
// events, are kept: an aggregate may keep (and later change) maps and
// slices of the events it applies, so each load decodes its own.
type streamCache struct {
	mu      sync.Mutex
	streams map[string][]storedPayload
}

// storedPayload is one event of a stream as the codec needs it; the
// version of the stream is the number of payloads.
type storedPayload struct {
	typ    string
	schema int
	data   []byte
}

// get returns the payloads of stream id, a prefix of the stream.
func (c *streamCache) get(id string) []storedPayload {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.streams[id]
}

// put records that stream id holds payloads up to version, given the
// payloads it held up to version-len(more). A stream whose remembered
// prefix does not end where more begins is forgotten instead.
func (c *streamCache) put(id string, from int64, more []storedPayload) {
	c.mu.Lock()
	defer c.mu.Unlock()
	have := c.streams[id]
	if int64(len(have)) != from {
		delete(c.streams, id)
		return
	}
	if c.streams == nil || len(c.streams) >= streamCacheSize {
		c.streams = make(map[string][]storedPayload, streamCacheSize)
	}
	// A fresh slice: a reader may be replaying the old one.
	c.streams[id] = append(have[:len(have):len(have)], more...)
}
