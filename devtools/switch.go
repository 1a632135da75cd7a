package devtools

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/fsstar/fsstar/esl"
	"github.com/fsstar/fsstar/esl/esltest"
)

// DialTimeout bounds how long reaching the switch may take before the tools
// say it is unreachable.
const DialTimeout = 3 * time.Second

// UnreachableError says the switch's event socket could not be reached, in
// one line naming the address; the password is never part of it.
type UnreachableError struct {
	Addr string
	Err  error

	password string
}

// Error returns "cannot reach the switch's event socket at <addr>: <cause>".
func (e *UnreachableError) Error() string {
	msg := e.Err.Error()
	if e.password != "" {
		msg = strings.ReplaceAll(msg, e.password, "********")
	}
	return fmt.Sprintf("cannot reach the switch's event socket at %s: %s", e.Addr, msg)
}

// Unwrap returns the cause.
func (e *UnreachableError) Unwrap() error { return e.Err }

// Dial connects and authenticates to the switch's inbound event socket at
// addr, failing within DialTimeout with an *UnreachableError.
func Dial(ctx context.Context, addr, password string) (*esl.Client, error) {
	ctx, cancel := context.WithTimeout(ctx, DialTimeout)
	defer cancel()
	c, err := esl.Dial(ctx, addr, esl.WithPassword(password), esl.WithDialTimeout(DialTimeout))
	if err != nil {
		return nil, &UnreachableError{Addr: addr, Err: err, password: password}
	}
	return c, nil
}

// Check reaches the switch once and hangs up: the tools say plainly that
// the switch is not there before they assemble anything.
func Check(ctx context.Context, addr, password string) error {
	c, err := Dial(ctx, addr, password)
	if err != nil {
		return err
	}
	return c.Close()
}

// StartSim starts the simulated switch (esltest) on 127.0.0.1 with a free
// port and esltest's defaults: password ClueCon, simulated media time 100
// times faster than real time. Close stops it.
func StartSim() (*esltest.Switch, error) {
	sw, err := esltest.New()
	if err != nil {
		return nil, fmt.Errorf("simulated switch: %w", err)
	}
	return sw, nil
}
