package pgstore

import (
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	"conference/shared/eventstore"
)

// Errors of Open that name what is wrong with the configuration.
var (
	ErrAuth       = errors.New("PostgreSQL refused the credentials")
	ErrNoDatabase = errors.New("PostgreSQL database does not exist")
)

// Classify maps what pgx reports onto the sentinels callers branch on:
// eventstore.ErrUnavailable for a server that is down, restarting or cut
// off (worth a retry), ErrAuth and ErrNoDatabase for configuration that
// will not work however often it is tried. Other errors pass unchanged.
func Classify(err error) error {
	if err == nil || errors.Is(err, eventstore.ErrUnavailable) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "28P01" || pe.Code == "28000":
			return fmt.Errorf("%w: %s", ErrAuth, pe.Message)
		case pe.Code == "3D000":
			return fmt.Errorf("%w: %s", ErrNoDatabase, pe.Message)
		case pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03", // shutting down, crashed, starting
			len(pe.Code) == 5 && pe.Code[:2] == "08": // connection exceptions
			return fmt.Errorf("%w: %s", eventstore.ErrUnavailable, pe.Message)
		}
		return err
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	switch {
	case errors.As(err, &ce), errors.As(err, &ne), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ENOENT), pgconn.SafeToRetry(err):
		return fmt.Errorf("%w: %v", eventstore.ErrUnavailable, err)
	}
	return err
}
