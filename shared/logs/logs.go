// Package logs builds the binaries' structured loggers (log/slog): text
// for people at a terminal (the default), JSON lines for log collectors.
package logs

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Formats a logger may write.
const (
	Text = "text"
	JSON = "json"
)

// New returns a logger writing to w at level (debug, info, warn or error)
// in format (text or json). A bad level or format is an error naming what
// is accepted.
func New(w io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(strings.TrimSpace(level)))); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch strings.ToLower(strings.TrimSpace(format)) {
	case Text, "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case JSON:
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", format)
}
