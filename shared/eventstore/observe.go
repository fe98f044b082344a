package eventstore

import "time"

// Commit describes one transaction a store's writer ran: how many events
// it appended (0 for a transaction that only wrote messages, marks or an
// adapter's rows), how long it took until durable, and the error that
// failed it. A conflict of one append inside a committed group is not a
// failure: the transaction committed.
type Commit struct {
	Events   int
	Duration time.Duration
	Err      error
}

// CommitObserver is told about every transaction a store's writer ran, for
// metrics. It is called on the writer's goroutine after the transaction
// ended, so it must be quick and must not call the store. The stores know
// nothing of what observes them (Prometheus lives in the binaries).
type CommitObserver func(Commit)

// Observe calls o if it is set.
func (o CommitObserver) Observe(c Commit) {
	if o != nil {
		o(c)
	}
}
