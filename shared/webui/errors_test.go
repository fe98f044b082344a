package webui_test

import (
	"errors"
	"fmt"
	"testing"

	"conference/shared/webui"
)

type fieldErr struct{ field string }

func (e *fieldErr) Error() string { return e.field }

func TestErrorsOfListsEveryJoinedAndWrappedError(t *testing.T) {
	err := fmt.Errorf("save: %w", errors.Join(&fieldErr{"name"}, errors.New("other"), fmt.Errorf("x: %w", &fieldErr{"email"})))
	var got []string
	for _, e := range webui.ErrorsOf[*fieldErr](err) {
		got = append(got, e.field)
	}
	if fmt.Sprint(got) != "[name email]" {
		t.Fatalf("ErrorsOf = %v, want [name email]", got)
	}
	if n := len(webui.ErrorsOf[*fieldErr](nil)); n != 0 {
		t.Fatalf("ErrorsOf(nil) has %d", n)
	}
}
