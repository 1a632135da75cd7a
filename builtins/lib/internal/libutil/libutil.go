// Package libutil holds what the script modules under builtins/lib share:
// a panic-safe builtin constructor and an argument that takes str or bytes.
package libutil

import (
	"fmt"
	"runtime/debug"

	"go.starlark.net/starlark"
)

// Func is the Go side of a Starlark builtin.
type Func = func(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)

// Builtin returns a builtin called name whose panics become errors naming
// it (with the Go stack), so that a bug cannot take the host down.
func Builtin(name string, impl Func) *starlark.Builtin {
	return starlark.NewBuiltin(name, func(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (v starlark.Value, err error) {
		defer func() {
			if r := recover(); r != nil {
				v, err = nil, fmt.Errorf("%s: internal error: panic: %v\n%s", fn.Name(), r, debug.Stack())
			}
		}()
		return impl(thread, fn, args, kwargs)
	})
}

// Data is an argument that may be a str or a bytes: its bytes.
type Data string

var _ starlark.Unpacker = (*Data)(nil)

// Unpack accepts a str or a bytes.
func (d *Data) Unpack(v starlark.Value) error {
	switch v := v.(type) {
	case starlark.String:
		*d = Data(v)
	case starlark.Bytes:
		*d = Data(v)
	default:
		return fmt.Errorf("got %s, want str or bytes", v.Type())
	}
	return nil
}
