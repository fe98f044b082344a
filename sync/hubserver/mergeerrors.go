package hubserver

import (
	"errors"

	"conference/shared/eventstore"
	"conference/sync/merge"
	"conference/sync/protocol"
)

// classifyMergeError is the default Config.ClassifyMergeError: the merge
// rules' gap and invalid-batch errors become the protocol's; anything else
// is a failure of the hub (nil).
func classifyMergeError(err error) *protocol.Error {
	var gap *merge.GapError
	switch {
	case errors.As(err, &gap):
		return &protocol.Error{Code: protocol.CodeGap, Expected: gap.Expected,
			Message: "the batch does not continue what the hub stored; resend from the expected origin_seq"}
	case errors.Is(err, merge.ErrInvalid), errors.Is(err, eventstore.ErrInvalid):
		return protocol.Errorf(protocol.CodeInvalidEvent, "%v", err)
	}
	return nil
}
