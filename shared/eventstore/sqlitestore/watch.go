package sqlitestore

import (
	"context"
	"maps"

	"conference/shared/lease"
)

// StreamVersion is the version of a stream the writer has seen this run
// (eventsourcing.VersionTeller): as the file's only writer, it knows every
// append, so a repository may trust its cache of the stream without a
// query. ok is false for a stream the writer has not seen (or forgot).
func (s *Store) StreamVersion(streamID string) (int64, bool) {
	s.notifyMu.Lock()
	defer s.notifyMu.Unlock()
	v, ok := s.versions[streamID]
	return v, ok
}

// OriginSeq is the last origin_seq stored from origin (0 for none), from
// the writer's memory: it never fails.
func (s *Store) OriginSeq(_ context.Context, origin string) (int64, error) {
	s.notifyMu.Lock()
	defer s.notifyMu.Unlock()
	return s.origins[origin], nil
}

// OriginSeqs is the last origin_seq stored from each origin. The origins
// table lags (saveOrigins); these are current.
func (s *Store) OriginSeqs(context.Context) (map[string]int64, error) {
	s.notifyMu.Lock()
	defer s.notifyMu.Unlock()
	return maps.Clone(s.origins), nil
}

// Notify hands payload to this process's subscribers of topic: the file
// is locked to one process, so they are all of them.
func (s *Store) Notify(_ context.Context, topic, payload string) error {
	s.topics.Deliver(topic, payload)
	return nil
}

// Subscribe returns the payloads notified on topic from now on, and a func
// to stop (see eventstore.Notifier).
func (s *Store) Subscribe(topic string) (<-chan string, func()) { return s.topics.Subscribe(topic) }

// WatchStream returns a channel closed once a commit adds events to
// streamID after this call (or the store closes), and a func to stop
// watching. Register before reading the stream, so no event falls between
// the read and the wait. The writer knows which streams each commit
// touched, so a long poll costs nothing until its stream changes.
func (s *Store) WatchStream(streamID string) (<-chan struct{}, func()) {
	return s.streams.Watch(streamID)
}

// Acquire returns the lease at once: the file admits one process, which
// holds every lease (see package lease).
func (s *Store) Acquire(ctx context.Context, name string) (lease.Held, error) {
	return lease.Always{}.Acquire(ctx, name)
}
