package engine

import (
	"errors"
	"fmt"

	"go.starlark.net/starlark"
)

// OutcomeKey is the log field on the engine's report of a call that did
// not succeed, with one of the values "failed", "cancelled", "step_limit",
// "memory_budget" and "not_started". A tool that reports the error itself (fsstar run, api)
// leaves those lines out by this field, never by their message.
const OutcomeKey = "outcome"

// ErrStepLimit is wrapped by the error of a call stopped by the step
// limit (WithMaxSteps): errors.Is(err, ErrStepLimit) tells a runaway loop
// from other failures.
var ErrStepLimit = errors.New("step limit reached")

// CallError is the error of a failed call: which module and function
// failed, for which call. Err keeps the cause; for a Starlark error it
// wraps the *starlark.EvalError, so Backtrace works through errors.As, and
// for a cancelled call it also wraps the context's cause.
type CallError struct {
	UUID     string
	Module   string
	Function string
	Err      error
}

// Error returns "module::function: cause".
func (e *CallError) Error() string {
	if e.Function == "" {
		return fmt.Sprintf("%s: %v", e.Module, e.Err)
	}
	return fmt.Sprintf("%s::%s: %v", e.Module, e.Function, e.Err)
}

// Unwrap returns the cause.
func (e *CallError) Unwrap() error { return e.Err }

// Backtrace returns the Starlark backtrace of the error, or "" if it did
// not come from Starlark code.
func Backtrace(err error) string {
	var ee *starlark.EvalError
	if errors.As(err, &ee) {
		return ee.Backtrace()
	}
	return ""
}
