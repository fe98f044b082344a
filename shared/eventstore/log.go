package eventstore

// LogEntry is the part of a stored event a projection replays.
type LogEntry struct {
	Position int64
	Type     string
	Schema   int
	Data     []byte
}

// LoggedMessage is a message of the message log with its sequence number,
// the log position projections keep as a checkpoint. Integration events of
// contexts that are not event-sourced (conference management's
// "conferences.*") exist only there, not in the event log.
type LoggedMessage struct {
	Seq int64
	Message
}
