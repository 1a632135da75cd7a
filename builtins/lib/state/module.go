package state

import (
	"context"
	"fmt"
	"math"
	"runtime/debug"
	"time"

	"go.starlark.net/lib/json"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// Module returns the frozen `state` module over store. ctxOf gives the
// context of the call running on a thread (nil: context.Background), so
// that an operation stops when the call ends.
func Module(store Store, ctxOf func(*starlark.Thread) context.Context) *starlarkstruct.Module {
	if ctxOf == nil {
		ctxOf = func(*starlark.Thread) context.Context { return context.Background() }
	}
	m := &module{store: store, ctxOf: ctxOf}
	mod := &starlarkstruct.Module{
		Name: "state",
		Members: starlark.StringDict{
			"get":           m.builtin("state.get", m.get),
			"set":           m.builtin("state.set", m.set),
			"set_if_absent": m.builtin("state.set_if_absent", m.setIfAbsent),
			"incr":          m.builtin("state.incr", m.incr),
			"delete":        m.builtin("state.delete", m.delete),
		},
	}
	mod.Freeze()
	return mod
}

type module struct {
	store Store
	ctxOf func(*starlark.Thread) context.Context
}

type impl = func(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)

// builtin wraps f so that a panic becomes an error naming the builtin.
func (m *module) builtin(name string, f impl) *starlark.Builtin {
	return starlark.NewBuiltin(name, func(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (v starlark.Value, err error) {
		defer func() {
			if r := recover(); r != nil {
				v, err = nil, fmt.Errorf("%s: internal error: panic: %v\n%s", fn.Name(), r, debug.Stack())
			}
		}()
		return f(thread, fn, args, kwargs)
	})
}

// ttlOf reads a ttl argument: None (no expiry) or seconds > 0, int or float.
func ttlOf(fn *starlark.Builtin, v starlark.Value) (time.Duration, error) {
	var secs float64
	switch v := v.(type) {
	case starlark.NoneType:
		return 0, nil
	case starlark.Int:
		i, ok := v.Int64()
		if !ok {
			return 0, fmt.Errorf("%s: ttl %s is too large", fn.Name(), v)
		}
		secs = float64(i)
	case starlark.Float:
		secs = float64(v)
	default:
		return 0, fmt.Errorf("%s: ttl: got %s, want seconds (int or float) or None", fn.Name(), v.Type())
	}
	if !(secs > 0) || math.IsInf(secs, 0) || secs > 10*365*24*3600 {
		return 0, fmt.Errorf("%s: ttl %v: want seconds > 0 (at most ten years), or None for no expiry", fn.Name(), secs)
	}
	d := time.Duration(secs * float64(time.Second))
	if d < time.Millisecond {
		d = time.Millisecond
	}
	return d, nil
}

func (m *module) key(fn *starlark.Builtin, key string) error {
	if err := CheckKey(key); err != nil {
		return fmt.Errorf("%s: %w", fn.Name(), err)
	}
	return nil
}

// encode is json.encode(v), bounded to MaxValueBytes.
func encode(thread *starlark.Thread, fn *starlark.Builtin, v starlark.Value) (string, error) {
	out, err := starlark.Call(thread, json.Module.Members["encode"], starlark.Tuple{v}, nil)
	if err != nil {
		return "", fmt.Errorf("%s: value: %w", fn.Name(), err)
	}
	s := string(out.(starlark.String))
	if len(s) > MaxValueBytes {
		return "", fmt.Errorf("%s: value of %d bytes as JSON (at most %d)", fn.Name(), len(s), MaxValueBytes)
	}
	return s, nil
}

func decode(thread *starlark.Thread, fn *starlark.Builtin, s string) (starlark.Value, error) {
	v, err := starlark.Call(thread, json.Module.Members["decode"], starlark.Tuple{starlark.String(s)}, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: stored value: %w", fn.Name(), err)
	}
	return v, nil
}

func (m *module) fail(fn *starlark.Builtin, key string, err error) error {
	return fmt.Errorf("%s %q: %w", fn.Name(), key, err)
}

func (m *module) get(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var key string
	var def starlark.Value = starlark.None
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "key", &key, "default?", &def); err != nil {
		return nil, err
	}
	if err := m.key(fn, key); err != nil {
		return nil, err
	}
	v, ok, err := m.store.Get(m.ctxOf(thread), key)
	if err != nil {
		return nil, m.fail(fn, key, err)
	}
	if !ok {
		return def, nil
	}
	return decode(thread, fn, v)
}

func (m *module) set(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	key, val, ttl, err := m.setArgs(thread, fn, args, kwargs)
	if err != nil {
		return nil, err
	}
	if err := m.store.Set(m.ctxOf(thread), key, val, ttl); err != nil {
		return nil, m.fail(fn, key, err)
	}
	return starlark.None, nil
}

func (m *module) setIfAbsent(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	key, val, ttl, err := m.setArgs(thread, fn, args, kwargs)
	if err != nil {
		return nil, err
	}
	ok, err := m.store.SetIfAbsent(m.ctxOf(thread), key, val, ttl)
	if err != nil {
		return nil, m.fail(fn, key, err)
	}
	return starlark.Bool(ok), nil
}

func (m *module) setArgs(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (string, string, time.Duration, error) {
	var key string
	var val starlark.Value
	var ttlv starlark.Value = starlark.None
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "key", &key, "value", &val, "ttl?", &ttlv); err != nil {
		return "", "", 0, err
	}
	if err := m.key(fn, key); err != nil {
		return "", "", 0, err
	}
	ttl, err := ttlOf(fn, ttlv)
	if err != nil {
		return "", "", 0, err
	}
	s, err := encode(thread, fn, val)
	return key, s, ttl, err
}

func (m *module) incr(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var key string
	var by starlark.Int = starlark.MakeInt(1)
	var ttlv starlark.Value = starlark.None
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "key", &key, "by?", &by, "ttl?", &ttlv); err != nil {
		return nil, err
	}
	if err := m.key(fn, key); err != nil {
		return nil, err
	}
	n, ok := by.Int64()
	if !ok {
		return nil, fmt.Errorf("%s: by %s does not fit in 64 bits", fn.Name(), by)
	}
	ttl, err := ttlOf(fn, ttlv)
	if err != nil {
		return nil, err
	}
	v, err := m.store.Incr(m.ctxOf(thread), key, n, ttl)
	if err != nil {
		return nil, m.fail(fn, key, err)
	}
	return starlark.MakeInt64(v), nil
}

func (m *module) delete(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var key string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "key", &key); err != nil {
		return nil, err
	}
	if err := m.key(fn, key); err != nil {
		return nil, err
	}
	ok, err := m.store.Delete(m.ctxOf(thread), key)
	if err != nil {
		return nil, m.fail(fn, key, err)
	}
	return starlark.Bool(ok), nil
}
