package pgstore

import "time"

// SetFlushDelay keeps each group committed but not durable for d before
// its flush, so a test's server crash can fall inside that window.
func SetFlushDelay(s *Store, d time.Duration) { s.flushDelay = d }
