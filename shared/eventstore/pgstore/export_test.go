package pgstore

import "time"

// SetFlushDelay keeps each group committed but not durable for d before
// its flush, so a test's server crash can fall inside that window.
func SetFlushDelay(s *Store, d time.Duration) { s.flushDelay = d }

// SetBetweenPlanAndWrite calls fn in each group planned without the lock,
// between its read and its write, so a test can let another replica
// write in between.
func SetBetweenPlanAndWrite(s *Store, fn func()) { s.betweenPlanAndWrite = fn }
