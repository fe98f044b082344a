// Command kiosk runs a door desk at the venue: its own SQLite event log,
// check-in, badges and walk-up sales, all working offline.
//
//	kiosk serve --addr 127.0.0.1:8081 --db data/kiosk.db
//	kiosk status --db data/kiosk.db
//	kiosk export-log --db data/kiosk.db --out log.jsonl
//
// `kiosk pair` and `kiosk load` are added by the sync side (files in this
// package registering into commands).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"conference/shared/logs"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "kiosk: %v\n", err)
		os.Exit(exitCode(err))
	}
}

// errUsage marks command-line mistakes (exit status 2, like flag's own).
var errUsage = errors.New("usage")

func exitCode(err error) int {
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

// env is how a command reads its environment and writes its output, so
// tests run commands like the shell does.
type env struct {
	getenv         func(string) string
	stdout, stderr io.Writer
}

// command is one subcommand. Other files of this package (pair, load)
// register theirs in init.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, e env) error
}

var commands = map[string]command{}

func usage() string {
	var b strings.Builder
	b.WriteString("usage: kiosk <command> [flags]\n\ncommands:\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "  %-11s %s\n", n, commands[n].summary)
	}
	return b.String()
}

// run is the whole program.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return fmt.Errorf("%w: no command given", errUsage)
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage())
		return nil
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprint(stderr, usage())
		return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
	}
	return c.run(ctx, args[1:], env{getenv: getenv, stdout: stdout, stderr: stderr})
}

// flags returns a flag set for a subcommand with the shared --db flag.
func flags(name string, e env, db *string) *flag.FlagSet {
	fs := flag.NewFlagSet("kiosk "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(db, "db", envOr(e.getenv, "KIOSK_DB", "data/kiosk.db"), "SQLite database `file` (KIOSK_DB)")
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return nil
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	log, err := logs.New(w, level, format)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	return log, nil
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}
