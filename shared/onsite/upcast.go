package onsite

import (
	"encoding/json"
	"fmt"
)

// upcastBadgePrintedV1 lifts a BadgePrinted of schema 1, which did not say
// how the badge left the kiosk, to schema 2: its output is unrecorded (see
// OutputUnrecorded for why that is not "printer").
func upcastBadgePrintedV1(data []byte) ([]byte, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, fmt.Errorf("badge printed schema 1: %w", err)
	}
	if fields == nil {
		return nil, fmt.Errorf("badge printed schema 1: payload is not an object")
	}
	if _, ok := fields["output"]; !ok {
		fields["output"] = json.RawMessage(`"` + OutputUnrecorded + `"`)
	}
	return json.Marshal(fields)
}
