package builtins

import (
	"fmt"
	"maps"
	"runtime/debug"
	"slices"

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

// methods are the Starlark methods of a value of type T, by name: each is a
// method expression such as (*Event).addHeader. This is how every value of
// the package declares its methods: one table, read by the type's Attr
// (attr) and AttrNames (names), as go.starlark.net/lib/time declares
// Time's. A type that has fields besides (Session.uuid, MediaHandle.path)
// answers them in Attr before it asks the table.
type methods[T starlark.Value] map[string]func(recv T, thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)

// attr returns the method called name bound to recv, as a builtin named
// prefix + "." + name (the name its errors start with, "Event.addHeader"),
// or nil, nil when there is no such method.
func (ms methods[T]) attr(recv T, prefix, name string) (starlark.Value, error) {
	m, ok := ms[name]
	if !ok {
		return nil, nil
	}
	return newMethod(recv, prefix+"."+name, func(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		return m(recv, thread, fn, args, kwargs)
	}), nil
}

// names returns the table's method names, sorted.
func (ms methods[T]) names() []string { return slices.Sorted(maps.Keys(ms)) }

// withRefused returns ms with a method for each name of refused: a name of
// the reference that ESL cannot express, which fails, with any arguments,
// saying why (refused[name]) and what to use instead. A name in both is a
// mistake in the tables: it panics, at package initialisation.
func withRefused[T starlark.Value](ms methods[T], refused map[string]string) methods[T] {
	for name, why := range refused {
		if _, ok := ms[name]; ok {
			panic("builtins: " + name + " is both a method and refused")
		}
		ms[name] = func(_ T, _ *starlark.Thread, fn *starlark.Builtin, _ starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
			return nil, refusedError(fn, why)
		}
	}
	return ms
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
