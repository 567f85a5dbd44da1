package bot

import (
	"database/sql/driver"
	"errors"
	"net"
	"strconv"
	"strings"
	"syscall"
)

// isConnError reports an error of reaching a server (PostgreSQL, Redis):
// refused, reset, timed out or closed.
func isConnError(err error) bool {
	var ne net.Error
	switch {
	case errors.As(err, &ne),
		errors.Is(err, driver.ErrBadConn),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, net.ErrClosed):
		return true
	}
	s := err.Error()
	return strings.Contains(s, "connection refused") || strings.Contains(s, "bad connection") ||
		strings.Contains(s, "the database system is") || strings.Contains(s, "terminating connection")
}

func itoa(n int) string { return strconv.Itoa(n) }
