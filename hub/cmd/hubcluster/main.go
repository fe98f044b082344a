// Command hubcluster runs the hub the way a user who outgrew one machine
// would, all on this machine: a PostgreSQL server, two hub replicas sharing
// it, HAProxy in front of them, the demo conference, and a kiosk paired
// through HAProxy. It prints where to go; Ctrl-C stops all of it. `make
// run-cluster` runs it with the binaries `make build` made.
//
// The PostgreSQL cluster is throwaway: it lives in a temporary directory
// and goes when the command ends, the kiosk's database with it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"conference/hub/cluster"
	"conference/shared/pgtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "hubcluster: %v\n", err)
		os.Exit(1)
	}
}

type config struct {
	hub, kiosk      string
	addr, kioskAddr string
	dir, pin        string
	replicas        int
}

func parse(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("hubcluster", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.hub, "hub", "bin/hub", "the hub `binary`")
	fs.StringVar(&c.kiosk, "kiosk", "bin/kiosk", "the kiosk `binary`")
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "HAProxy's listen `address`, what browsers and kiosks use")
	fs.StringVar(&c.kioskAddr, "kiosk-addr", "127.0.0.1:8081", "the kiosk's door-staff UI `address`")
	fs.StringVar(&c.dir, "dir", "data/cluster", "`folder` for the logs, HAProxy's configuration and the kiosk")
	fs.StringVar(&c.pin, "pin", "1234", "the kiosk's staff `PIN`")
	fs.IntVar(&c.replicas, "replicas", 2, "hub replicas")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.replicas < 1 {
		return c, errors.New("--replicas must be at least 1")
	}
	return c, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parse(args, stderr)
	if err != nil {
		return err
	}
	for _, bin := range []string{c.hub, c.kiosk} {
		if _, err := os.Stat(bin); err != nil {
			return fmt.Errorf("%s: %w (run make build first)", bin, err)
		}
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return err
	}
	// A fresh cluster each run: the kiosk paired with the last one is
	// no use to this one.
	os.Remove(filepath.Join(c.dir, "kiosk.db"))
	os.Remove(filepath.Join(c.dir, "kiosk.db.lock"))
	code := filepath.Join(c.dir, "pairing-code")
	os.Remove(code)

	fmt.Fprintln(stdout, "starting PostgreSQL (throwaway, fsync on)...")
	pg, err := pgtest.Start(ctx, pgtest.Options{Fsync: true})
	if err != nil {
		return err
	}
	defer pg.Stop()
	if err := pg.Exec(ctx, "CREATE DATABASE conference"); err != nil {
		return err
	}
	db := pg.URL("conference")

	hub := func(args ...string) *exec.Cmd {
		cmd := exec.Command(c.hub, args...)
		cmd.Env = append(os.Environ(), "HUB_LOG_LEVEL=warn")
		return cmd
	}
	fmt.Fprintf(stdout, "starting %d hub replicas and HAProxy...\n", c.replicas)
	cl, err := cluster.Start(ctx, cluster.Options{DB: db, Replicas: c.replicas, Hub: hub, Dir: c.dir, Addr: c.addr,
		FirstArgs: []string{"--demo", "--demo-kiosk-code", code}, Output: stdout})
	if err != nil {
		return err
	}
	defer cl.Stop()

	deadline := time.Now().Add(30 * time.Second)
	var pairing []byte
	for len(strings.TrimSpace(string(pairing))) == 0 {
		pairing, _ = os.ReadFile(code)
		if time.Now().After(deadline) {
			return errors.New("the demo kiosk's pairing code never appeared")
		}
		time.Sleep(100 * time.Millisecond)
	}
	kioskDB := filepath.Join(c.dir, "kiosk.db")
	pair := exec.CommandContext(ctx, c.kiosk, "pair", "--hub", cl.URL, "--code", strings.TrimSpace(string(pairing)), "--pin", c.pin, "--db", kioskDB)
	pair.Stdout, pair.Stderr = stdout, stderr
	if err := pair.Run(); err != nil {
		return fmt.Errorf("pair the kiosk through HAProxy: %w", err)
	}
	kiosk := exec.Command(c.kiosk, "serve", "--addr", c.kioskAddr, "--db", kioskDB)
	kiosk.Env = append(os.Environ(), "KIOSK_LOG_LEVEL=warn")
	kiosk.Stdout, kiosk.Stderr = stdout, stderr
	kiosk.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := kiosk.Start(); err != nil {
		return err
	}
	kioskDone := make(chan error, 1)
	go func() { kioskDone <- kiosk.Wait() }()

	fmt.Fprintf(stdout, `
cluster ready (Ctrl-C stops all of it):
  through HAProxy:   %[1]s  (registrant site %[1]s/c/demo, organizer %[1]s/org/signin, API %[1]s/api/v1)
`, cl.URL)
	for _, r := range cl.Replicas {
		fmt.Fprintf(stdout, "  replica %s:     %s  (%s/healthz says which background work it runs)\n", r.Name, r.URL, r.URL)
	}
	fmt.Fprintf(stdout, "  PostgreSQL:        %s\n  door-staff UI:     http://%s/  (staff PIN %s; the kiosk syncs through HAProxy)\n  logs:              %s\n",
		strings.SplitN(db, "?", 2)[0]+"?host="+pg.Dir(), c.kioskAddr, c.pin, c.dir)

	select {
	case <-ctx.Done():
	case err := <-kioskDone:
		if err != nil {
			return fmt.Errorf("the kiosk stopped: %w", err)
		}
	}
	fmt.Fprintln(stdout, "stopping...")
	kiosk.Process.Signal(syscall.SIGTERM)
	select {
	case <-kioskDone:
	case <-time.After(15 * time.Second):
		kiosk.Process.Kill()
	}
	return nil
}
