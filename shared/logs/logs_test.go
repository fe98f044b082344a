package logs_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"conference/shared/logs"
)

func TestJSONWritesOneObjectALineAndTextIsTheDefault(t *testing.T) {
	var b bytes.Buffer
	log, err := logs.New(&b, "info", "json")
	if err != nil {
		t.Fatal(err)
	}
	log.Debug("hidden")
	log.Info("hub ready", "url", "http://127.0.0.1:8080")
	var line map[string]any
	if err := json.Unmarshal(b.Bytes(), &line); err != nil {
		t.Fatalf("json log %q: %v", b.String(), err)
	}
	if line["msg"] != "hub ready" || line["url"] != "http://127.0.0.1:8080" || line["level"] != "INFO" {
		t.Fatalf("got %v", line)
	}
	b.Reset()
	log, err = logs.New(&b, "warn", "")
	if err != nil {
		t.Fatal(err)
	}
	log.Warn("careful", "n", 1)
	if !strings.HasPrefix(b.String(), "time=") || !strings.Contains(b.String(), `msg=careful n=1`) {
		t.Fatalf("default format wrote %q, want slog's text", b.String())
	}
}

func TestBadLevelOrFormatIsRefused(t *testing.T) {
	for _, c := range [][2]string{{"loud", "text"}, {"info", "xml"}} {
		if _, err := logs.New(&bytes.Buffer{}, c[0], c[1]); err == nil {
			t.Errorf("level %q format %q: accepted", c[0], c[1])
		}
	}
}
