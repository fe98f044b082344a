package protocol

import "github.com/google/uuid"

func (m *Hello) validate(int) error {
	if err := checkf(text(m.KioskID, maxText), "kiosk_id must be 1 to %d characters", maxText); err != nil {
		return err
	}
	if err := checkf(len(m.Software) <= maxText, "software is longer than %d characters", maxText); err != nil {
		return err
	}
	if err := checkf(m.DownCheckpoint >= 0 && m.UpAcked >= 0 && m.UpHead >= m.UpAcked,
		"checkpoints must not be negative and up_head must not be below up_acked"); err != nil {
		return err
	}
	if m.Window < 1 || m.Window > MaxWindow {
		return Errorf(CodeFlowControl, "window must be 1 to %d pages, got %d", MaxWindow, m.Window)
	}
	return validateSchemas(m.Schemas)
}

func (m *Welcome) validate(int) error {
	if err := checkf(text(m.KioskID, maxText), "kiosk_id must be 1 to %d characters", maxText); err != nil {
		return err
	}
	if err := checkf(len(m.Conferences) <= 64, "at most 64 conferences"); err != nil {
		return err
	}
	if err := checkf(m.HubHead >= 0 && m.UpAcked >= 0 && m.HeartbeatMS > 0 && m.MaxBatch > 0,
		"hub_head and up_acked must not be negative, heartbeat_ms and max_batch must be positive"); err != nil {
		return err
	}
	return validateSchemas(m.Schemas)
}

func (m *EventsDown) validate(int) error { return validateDown(m.Events, m.Next, m.Head) }

func (m *AckDown) validate(int) error {
	if err := checkf(m.Checkpoint >= 0, "checkpoint must not be negative"); err != nil {
		return err
	}
	if m.Credit < 0 || m.Credit > MaxWindow {
		return Errorf(CodeFlowControl, "credit must be 0 to %d pages, got %d", MaxWindow, m.Credit)
	}
	return nil
}

func (m *EventsUp) validate(int) error {
	if err := validateUp(m.Events); err != nil {
		return err
	}
	return checkf(m.Head >= m.Events[len(m.Events)-1].OriginSeq, "head %d lies before the batch's last origin_seq", m.Head)
}

func (m *AckUp) validate(int) error { return checkf(m.Seq >= 0, "seq must not be negative") }

func validateSeatRequest(id string, conference, seatType uuid.UUID, n int, field string) error {
	if err := validateRequestID(id); err != nil {
		return err
	}
	if err := checkf(conference != uuid.Nil && seatType != uuid.Nil, "conference and seat_type are required"); err != nil {
		return err
	}
	return checkf(n >= 0 && n <= 100000, "%s must be 0 to 100000", field)
}

func (m *AllocRequest) validate(int) error {
	if err := validateSeatRequest(m.ID, m.Conference, m.SeatType, m.Quantity, "quantity"); err != nil {
		return err
	}
	return checkf(m.Quantity > 0, "quantity must be positive")
}

func (m *AllocGrant) validate(int) error {
	return validateSeatRequest(m.ID, m.Conference, m.SeatType, m.Granted, "granted")
}

func (m *AllocReturn) validate(int) error {
	if err := validateSeatRequest(m.ID, m.Conference, m.SeatType, m.Quantity, "quantity"); err != nil {
		return err
	}
	return checkf(m.Quantity > 0, "quantity must be positive")
}

func (m *AllocReturned) validate(int) error {
	return validateSeatRequest(m.ID, m.Conference, m.SeatType, m.Quantity, "quantity")
}

func (m *DigestRequest) validate(version int) error {
	if err := validateRequestID(m.ID); err != nil {
		return err
	}
	if err := checkf(m.Conference != uuid.Nil, "conference is required"); err != nil {
		return err
	}
	if version < 3 {
		return checkf(m.Position == 0 && m.UpSeq == 0 && m.Digests == nil, "protocol %d has no cut or digests in digest_request", version)
	}
	if err := checkf(m.Position >= 0 && m.UpSeq >= 0, "position and up_seq must not be negative"); err != nil {
		return err
	}
	if err := checkf(m.Position > 0 || (m.UpSeq == 0 && m.Digests == nil), "up_seq and digests need a position"); err != nil {
		return err
	}
	return validateDigests(m.Digests)
}

func (m *DigestReply) validate(int) error {
	if err := validateRequestID(m.ID); err != nil {
		return err
	}
	if err := checkf(m.Conference != uuid.Nil && m.Position >= 0, "conference is required, position must not be negative"); err != nil {
		return err
	}
	return validateDigests(m.Digests)
}

func validateDigests(d map[string]string) error {
	if len(d) > MaxDigests {
		return Errorf(CodeTooLarge, "digests has %d entries, the limit is %d", len(d), MaxDigests)
	}
	for k, v := range d {
		if !text(k, maxText) || len(v) > 512 {
			return Errorf(CodeBadMessage, "digest %q is not a name and a value of at most 512 bytes", k)
		}
	}
	return nil
}

func (m *Error) validate(int) error {
	if err := checkf(m.Code != "" && len(m.Code) <= 64, "code is required"); err != nil {
		return err
	}
	if err := checkf(len(m.Message) <= maxMessageText, "message is longer than %d bytes", maxMessageText); err != nil {
		return err
	}
	if m.RequestID != "" {
		if err := validateRequestID(m.RequestID); err != nil {
			return err
		}
	}
	return checkf(m.Expected >= 0, "expected must not be negative")
}
