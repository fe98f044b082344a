// Package crashtest kills a test binary's child process with SIGKILL at a
// chosen moment and reports what the child acknowledged before it died,
// for crash tests: the child prints "ack <id>" after each action is
// durable; after the kill the test checks that every acknowledged action
// survived and nothing is half-written.
package crashtest

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Child describes the child run: the test binary re-executed with the
// environment variable Env set to Value (its TestMain switches to child
// mode on it).
type Child struct {
	Env, Value string
	// Ready bounds the wait for the first acknowledgement (30 s if zero).
	Ready time.Duration
}

// RunAndKill starts the child, waits for its first acknowledgement, lets it
// run for after, kills it with SIGKILL and returns every id it
// acknowledged. A child that never acknowledges, or exits on its own, fails
// the test with its stderr.
func RunAndKill(t testing.TB, c Child, after time.Duration) []string {
	t.Helper()
	if c.Ready <= 0 {
		c.Ready = 30 * time.Second
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), c.Env+"="+c.Value)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acks := make(chan []string)
	first := make(chan struct{})
	var once sync.Once
	go func() {
		var got []string
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if id, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
				got = append(got, id)
				once.Do(func() { close(first) })
			}
		}
		acks <- got
	}()
	select {
	case <-first:
	case <-time.After(c.Ready):
		cmd.Process.Kill()
		<-acks
		cmd.Wait()
		t.Fatalf("child never acknowledged an action in %s: %s", c.Ready, stderr.String())
	}
	time.Sleep(after)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	got := <-acks
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("child exited on its own (%v): %s", err, stderr.String())
	}
	return got
}
