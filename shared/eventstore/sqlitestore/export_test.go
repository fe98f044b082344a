package sqlitestore

// ForgetRecent makes the store's memory of the newest events lose track,
// as a gap in positions would, so reads of unindexed events must go to the
// table.
func ForgetRecent(s *Store) {
	s.recent.mu.Lock()
	defer s.recent.mu.Unlock()
	s.recent.events, s.recent.start, s.recent.byStream, s.recent.lost = s.recent.events[:0], 0, nil, true
}

// IndexBatch is how many events wait unindexed before the writer indexes them.
const IndexBatch = indexBatch

// RecentLost reports whether the store's memory of the newest events has
// lost track of the unindexed ones.
func RecentLost(s *Store) bool {
	s.recent.mu.RLock()
	defer s.recent.mu.RUnlock()
	return s.recent.lost
}
