package builtins

import (
	"context"

	"github.com/fsstar/fsstar/builtins/lib/state"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// stateModule returns the `state` module over opts.State (an in-process
// store of its own when nil). Its operations end with the call's context.
func stateModule(opts Options) *starlarkstruct.Module {
	store := opts.State
	if store == nil {
		store = state.NewMemory(0, nil)
	}
	return state.Module(store, func(thread *starlark.Thread) context.Context { return CallOf(thread).ctx() })
}
