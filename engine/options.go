package engine

import (
	"github.com/hashicorp/go-hclog"
	"go.starlark.net/starlark"

	"github.com/fsstar/fsstar/membudget"
)

// Option configures an Engine.
type Option func(*Engine)

// WithLogger sets the logger; every line about a call carries its uuid
// and module. The default discards everything.
func WithLogger(l hclog.Logger) Option {
	return func(e *Engine) { e.log = l }
}

// WithMaxSteps bounds the Starlark computation steps of one call (0 means
// no limit). The default is loader.DefaultMaxSteps; a call that reaches
// the limit fails with an error that wraps ErrStepLimit.
func WithMaxSteps(n uint64) Option {
	return func(e *Engine) { e.maxSteps = n }
}

// WithThreadSetup adds a hook run on every call's thread before the entry
// point runs, after the engine's own set-up. builtins uses it to attach
// the call's session and API client with thread.SetLocal.
func WithThreadSetup(f func(*starlark.Thread, CallInfo)) Option {
	return func(e *Engine) { e.setup = append(e.setup, f) }
}

// WithMemoryBudget meters every call's thread against pool's budgets (see
// package membudget): a call that holds, or is about to build, more than
// its share fails with an error that wraps membudget.ErrBudget, while
// other calls go on. Nil, the default, sets no budget.
func WithMemoryBudget(pool *membudget.Pool) Option {
	return func(e *Engine) { e.memory = pool }
}
