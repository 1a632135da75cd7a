package builtins

import (
	"fmt"
	"runtime/debug"

	"go.starlark.net/starlark"
)

// builtinFunc is the signature of a Starlark builtin's Go implementation.
type builtinFunc = func(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)

// newBuiltin returns a builtin called name whose implementation cannot take
// the host down: a panic in impl becomes a Starlark error that names the
// builtin (and the stack is kept in the error for the log).
func newBuiltin(name string, impl builtinFunc) *starlark.Builtin {
	return starlark.NewBuiltin(name, safe(impl))
}

// newMethod is newBuiltin for a method bound to recv (Event.addHeader...).
func newMethod(recv starlark.Value, name string, impl builtinFunc) *starlark.Builtin {
	return starlark.NewBuiltin(name, safe(impl)).BindReceiver(recv)
}

func safe(impl builtinFunc) builtinFunc {
	return func(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (v starlark.Value, err error) {
		defer func() {
			if r := recover(); r != nil {
				v, err = nil, &PanicError{Builtin: fn.Name(), Value: r, Stack: debug.Stack()}
			}
		}()
		return impl(thread, fn, args, kwargs)
	}
}

// PanicError is the error a builtin returns instead of panicking. Error()
// names the builtin and the panic value; Stack holds the Go stack for the log.
type PanicError struct {
	Builtin string
	Value   any
	Stack   []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("%s: internal error: panic: %v", e.Builtin, e.Value)
}
