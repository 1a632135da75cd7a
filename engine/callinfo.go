package engine

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/go-hclog"

	"github.com/fsstar/fsstar/membudget"
	"go.starlark.net/starlark"
)

// CallInfo describes one call for naming, logging and per-call state.
type CallInfo struct {
	// UUID identifies the call (the channel's Unique-ID, or a request id).
	UUID string
	// Module is the entry-point spec, "ivr.main" or "ivr.main::night".
	// For Engine.Call it only names the call in logs.
	Module string
	// Fields are extra hclog key/value pairs for every log line.
	Fields []any
	// Locals are set on the call's thread with SetLocal before it runs.
	Locals map[string]any
}

// localKey is the thread-local key under which the engine keeps the call.
const localKey = "fsstar.engine.call"

// callState is what a running call's thread carries.
type callState struct {
	ctx      context.Context
	info     CallInfo
	module   string
	function string
	base     hclog.Logger
	logOnce  sync.Once
	log      hclog.Logger // built on first use: most calls never log
	// stepLimited is set by the thread's OnMaxSteps: the call was
	// stopped by the step limit.
	stepLimited atomic.Bool
	// meter accounts the memory the call holds (nil without a budget).
	meter *membudget.Meter
}

// logger builds the call's logger on first use; safe from any goroutine
// (a builtin may log from the call's event goroutine while the call's
// thread fails and logs too).
func (cs *callState) logger() hclog.Logger {
	cs.logOnce.Do(func() {
		args := append([]any{"uuid", cs.info.UUID, "module", cs.module, "function", cs.function}, cs.info.Fields...)
		cs.log = cs.base.With(args...)
	})
	return cs.log
}

// printToCall is every call thread's print: an Info line on the call's
// logger. (A plain function, not a method value, so it costs no
// allocation per call.)
func printToCall(thread *starlark.Thread, msg string) { Logger(thread).Info(msg) }

func stateOf(thread *starlark.Thread) *callState {
	cs, _ := thread.Local(localKey).(*callState)
	return cs
}

// Context returns the context of the call running on thread (cancelled on
// hangup, request timeout or shutdown), or context.Background() for a
// thread the engine did not start. Builtins that block should honour it.
func Context(thread *starlark.Thread) context.Context {
	if cs := stateOf(thread); cs != nil {
		return cs.ctx
	}
	return context.Background()
}

// Logger returns the logger of the call running on thread, with its uuid
// and module fields, or a null logger for a thread the engine did not
// start.
func Logger(thread *starlark.Thread) hclog.Logger {
	if cs := stateOf(thread); cs != nil {
		return cs.logger()
	}
	return hclog.NewNullLogger()
}

// Info returns the CallInfo of the call running on thread.
func Info(thread *starlark.Thread) (CallInfo, bool) {
	if cs := stateOf(thread); cs != nil {
		return cs.info, true
	}
	return CallInfo{}, false
}
