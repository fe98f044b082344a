package sqlitestore_test

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"conference/shared/eventstore/sqlitestore"
)

const readOnlyChildEnv = "SQLITESTORE_READONLY_CHILD_DB"

// openAsChild is the child mode of TestOpenRefusesReadOnlyDatabase: it
// opens the database and reports the error on stderr.
func openAsChild(path string) int {
	s, err := sqlitestore.Open(context.Background(), path, sqlitestore.Options{})
	if err == nil {
		s.Close()
		return 0
	}
	io.WriteString(os.Stderr, err.Error())
	if errors.Is(err, sqlitestore.ErrReadOnly) {
		return 4
	}
	return 1
}

// The file modes are what an operator sees, but root ignores them: the
// test opens the database from a child process running as nobody, so the
// kernel refuses writes the way it would for a real operator.
func TestOpenRefusesReadOnlyDatabase(t *testing.T) {
	for _, tc := range []struct {
		name string
		lock func(dir, db string)
	}{
		{"file read-only", func(dir, db string) {
			// The lock file stays writable, so SQLite itself meets the read-only file.
			must(t, os.Chmod(db+".lock", 0o666))
			must(t, os.Chmod(db, 0o444))
		}},
		{"directory read-only", func(dir, db string) {
			must(t, os.Remove(db+".lock"))
			must(t, os.Chmod(dir, 0o555))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := worldReadableDir(t)
			db := filepath.Join(dir, "hub.db")
			s, err := sqlitestore.Open(context.Background(), db, sqlitestore.Options{})
			must(t, err)
			must(t, s.Close())
			for _, f := range []string{db, db + "-wal", db + "-shm", db + ".lock"} {
				os.Chmod(f, 0o644) // a missing -wal/-shm is fine
			}
			must(t, os.Chmod(dir, 0o755))
			tc.lock(dir, db)

			cmd := childAsNobody(t, dir)
			cmd.Env = append(os.Environ(), readOnlyChildEnv+"="+db)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			err = cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 4 {
				t.Fatalf("open read-only database: exit %v, stderr %q; want exit 4 (ErrReadOnly)", err, stderr.String())
			}
			t.Logf("refused: %s", stderr.String())
			if !strings.Contains(stderr.String(), "read-only") || !strings.Contains(stderr.String(), db) {
				t.Fatalf("error %q should name the file and say read-only", stderr.String())
			}
		})
	}
}

// worldReadableDir is a temporary folder a child running as nobody can
// reach (t.TempDir's parents are private to the user).
func worldReadableDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "sqlitestore-ro-")
	must(t, err)
	must(t, os.Chmod(dir, 0o755))
	t.Cleanup(func() {
		os.Chmod(dir, 0o755)
		os.RemoveAll(dir)
	})
	return dir
}

// childAsNobody re-runs this test binary in child mode, as user nobody
// when the test runs as root.
func childAsNobody(t *testing.T, dir string) *exec.Cmd {
	self, err := os.Executable()
	must(t, err)
	if os.Geteuid() != 0 {
		return exec.Command(self, "-test.run=^$")
	}
	// The test binary sits in a private build folder; nobody needs its own copy.
	bin := filepath.Join(filepath.Dir(dir), filepath.Base(dir)+"-test.bin")
	data, err := os.ReadFile(self)
	must(t, err)
	must(t, os.WriteFile(bin, data, 0o755))
	t.Cleanup(func() { os.Remove(bin) })
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	return cmd
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
