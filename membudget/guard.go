package membudget

import (
	"fmt"
	"math"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// Predeclared returns the guards that Rewrite's calls name, to be added
// to a program's predeclared values. A guard on a thread without a Meter
// computes the operation unchecked.
func Predeclared() starlark.StringDict {
	d := starlark.StringDict{
		addName:  starlark.NewBuiltin(addName, guardBinary(syntax.PLUS)),
		mulName:  starlark.NewBuiltin(mulName, guardBinary(syntax.STAR)),
		modName:  starlark.NewBuiltin(modName, guardBinary(syntax.PERCENT)),
		iaddName: starlark.NewBuiltin(iaddName, guardInplaceAdd),
		beginName: starlark.NewBuiltin(beginName, func(thread *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
			if m := meterOf(thread); m != nil {
				m.building = append(m.building, starlark.NewList(nil))
			}
			return args[0], nil
		}),
		itemName: starlark.NewBuiltin(itemName, func(thread *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
			if m := meterOf(thread); m != nil && len(m.building) > 0 {
				_ = m.building[len(m.building)-1].Append(args[0]) // a fresh list: never frozen or iterated
			}
			return args[0], nil
		}),
		endName: starlark.NewBuiltin(endName, func(thread *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
			if m := meterOf(thread); m != nil && len(m.building) > 0 {
				m.building[len(m.building)-1] = nil
				m.building = m.building[:len(m.building)-1]
			}
			return args[0], nil
		}),
	}
	// The universal builtins that turn a lazy sequence (range(1000000000))
	// into one holding every element, in one step, with the bytes each
	// element costs there: they are shadowed by guards that check that
	// size first.
	for name, perElem := range map[string]int64{
		"list":      slotCost,
		"tuple":     slotCost,
		"sorted":    slotCost,
		"set":       entryCost,
		"enumerate": slotCost + listCost + 2*slotCost,
		"zip":       slotCost + listCost + 2*slotCost,
	} {
		if orig, ok := starlark.Universe[name].(*starlark.Builtin); ok {
			d[name] = guardMaterializer(orig, perElem)
		}
	}
	return d
}

// guardMaterializer wraps a universal builtin: with a meter, an
// argument whose length is known is checked before it is materialized.
func guardMaterializer(orig *starlark.Builtin, perElem int64) *starlark.Builtin {
	name := orig.Name()
	return starlark.NewBuiltin(name, func(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if m := meterOf(thread); m != nil {
			for _, a := range args {
				if _, lazy := a.(starlark.Sequence); !lazy {
					continue
				}
				if n := int64(starlark.Len(a)); n*perElem >= smallResult {
					what := func() string { return fmt.Sprintf("%s(%s of %d)", name, a.Type(), n) }
					if err := m.reserve(thread, n*perElem, what); err != nil {
						return nil, err
					}
				}
			}
		}
		return orig.CallInternal(thread, args, kwargs)
	})
}

func operands(fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (x, y starlark.Value, err error) {
	if len(args) != 2 || len(kwargs) != 0 {
		return nil, nil, fmt.Errorf("%s: want 2 operands", fn.Name())
	}
	return args[0], args[1], nil
}

func guardBinary(op syntax.Token) func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
	return func(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		x, y, err := operands(fn, args, kwargs)
		if err != nil {
			return nil, err
		}
		if m := meterOf(thread); m != nil {
			if need := resultSize(op, x, y); need >= smallResult {
				if err := m.reserve(thread, need, func() string { return describe(op, x, y) }); err != nil {
					return nil, err
				}
			}
		}
		return starlark.Binary(op, x, y)
	}
}

// guardInplaceAdd is name += y: x.extend(y) in place when x is a list,
// as Starlark's own +=, else x + y.
func guardInplaceAdd(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	x, y, err := operands(fn, args, kwargs)
	if err != nil {
		return nil, err
	}
	m := meterOf(thread)
	if xl, ok := x.(*starlark.List); ok {
		if yi, ok := y.(starlark.Iterable); ok {
			if m != nil {
				if n := starlark.Len(y); n > 0 && int64(n)*slotCost >= smallResult {
					if err := m.reserve(thread, int64(n)*slotCost, func() string { return fmt.Sprintf("list += %s of %d", y.Type(), n) }); err != nil {
						return nil, err
					}
				}
			}
			return xl, extend(thread, xl, yi)
		}
	}
	if m != nil {
		if need := resultSize(syntax.PLUS, x, y); need >= smallResult {
			if err := m.reserve(thread, need, func() string { return describe(syntax.PLUS, x, y) }); err != nil {
				return nil, err
			}
		}
	}
	return starlark.Binary(syntax.PLUS, x, y)
}

// extend appends y's elements to x through list.extend, which is what
// Starlark's own list += does (x += x doubles x).
func extend(thread *starlark.Thread, x *starlark.List, y starlark.Iterable) error {
	method, err := x.Attr("extend")
	if err != nil {
		return err
	}
	if _, err := starlark.Call(thread, method, starlark.Tuple{y}, nil); err != nil {
		return fmt.Errorf("cannot apply += to list: %w", err)
	}
	return nil
}

// resultSize estimates the bytes that x op y builds.
func resultSize(op syntax.Token, x, y starlark.Value) int64 {
	switch op {
	case syntax.PLUS:
		a, b := seqBytes(x), seqBytes(y)
		if a >= 0 && b >= 0 && x.Type() == y.Type() {
			return a + b
		}
	case syntax.STAR:
		if _, ok := x.(starlark.Int); ok {
			x, y = y, x
		}
		n, ok := y.(starlark.Int)
		if !ok {
			return 0
		}
		if xi, ok := x.(starlark.Int); ok { // a big product's digits
			if _, small := xi.Int64(); small {
				if _, small := n.Int64(); small {
					return 0
				}
			}
			return int64(xi.BigInt().BitLen()+n.BigInt().BitLen()) / 8
		}
		a := seqBytes(x)
		if a <= 0 {
			return 0
		}
		k, ok := n.Int64()
		if !ok || k > math.MaxInt64/a {
			return math.MaxInt64
		}
		return max(a*k, 0)
	case syntax.PERCENT:
		if f, ok := x.(starlark.String); ok {
			return int64(len(f)) + Size(y)
		}
	}
	return 0
}

// describe names the operation x op y for the error that refuses it:
// "string * 1000000000", "list + list".
func describe(op syntax.Token, x, y starlark.Value) string {
	if op == syntax.STAR {
		if _, ok := x.(starlark.Int); ok {
			x, y = y, x
		}
		if n, ok := y.(starlark.Int); ok {
			return fmt.Sprintf("%s * %s", x.Type(), n)
		}
	}
	return fmt.Sprintf("%s %s %s", x.Type(), op, y.Type())
}

// seqBytes is the size of a string's or bytes' data, or of a list's or
// tuple's slots; -1 for other values.
func seqBytes(v starlark.Value) int64 {
	switch v := v.(type) {
	case starlark.String:
		return int64(len(v))
	case starlark.Bytes:
		return int64(len(v))
	case *starlark.List:
		return int64(v.Len()) * slotCost
	case starlark.Tuple:
		return int64(len(v)) * slotCost
	}
	return -1
}
