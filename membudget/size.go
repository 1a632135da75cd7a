package membudget

import (
	"unsafe"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// Approximate costs, in bytes, of what a Starlark value holds on the Go
// heap (64-bit). They are estimates: the bound is about the order of
// magnitude a script holds, not about the allocator's exact size classes.
const (
	slotCost     = 16 // an interface value in a list, tuple or frame
	listCost     = 48 // *List header and its slice
	dictCost     = 96 // *Dict and its hash table
	entryCost    = 48 // one dict or set entry: hash, key, value, links
	stringCost   = 16 // a boxed string or bytes header
	opaqueCost   = 64 // a builtin or foreign value, not looked into
	functionCost = 64 // a *Function closure
)

// sizer walks values once each (shared lists, dicts, tuples and long
// strings are counted once) and stops as soon as the total passes limit,
// so a walk costs at most about limit/48 visits however much a script
// holds.
type sizer struct {
	limit int64
	total int64
	seen  map[unsafe.Pointer]struct{}
	stack []starlark.Value
	nodes int
}

func newSizer(limit int64) *sizer {
	return &sizer{limit: limit, seen: make(map[unsafe.Pointer]struct{})}
}

// over reports whether the walk has passed its limit.
func (s *sizer) over() bool { return s.limit > 0 && s.total > s.limit }

// first reports whether p is met for the first time.
func (s *sizer) first(p unsafe.Pointer) bool {
	if _, ok := s.seen[p]; ok {
		return false
	}
	s.seen[p] = struct{}{}
	return true
}

// add counts v and everything it holds, until the limit is passed.
func (s *sizer) add(v starlark.Value) {
	s.stack = append(s.stack, v)
	for len(s.stack) > 0 && !s.over() {
		v := s.stack[len(s.stack)-1]
		s.stack = s.stack[:len(s.stack)-1]
		s.nodes++
		s.total += s.own(v)
	}
	s.stack = s.stack[:0]
}

// push schedules x to be counted: numbers, booleans, None and short
// strings are counted at once, which keeps the walk's own stack (and
// garbage) to the values that hold others.
func (s *sizer) push(x starlark.Value) {
	switch x := x.(type) {
	case starlark.NoneType, starlark.Bool, starlark.Float:
		s.nodes++
		return
	case starlark.Int:
		if _, ok := x.Int64(); ok {
			s.nodes++
			return
		}
	case starlark.String:
		if len(x) < 64 {
			s.nodes++
			s.total += stringCost + int64(len(x))
			return
		}
	}
	s.stack = append(s.stack, x)
}

// own counts what v holds itself and pushes what it refers to.
func (s *sizer) own(v starlark.Value) int64 {
	switch v := v.(type) {
	case nil, starlark.NoneType, starlark.Bool, starlark.Float:
		return 0
	case starlark.Int:
		if _, ok := v.Int64(); ok {
			return 0
		}
		return int64(v.BigInt().BitLen()/8) + 32
	case starlark.String:
		return s.bytes(unsafe.StringData(string(v)), len(v))
	case starlark.Bytes:
		return s.bytes(unsafe.StringData(string(v)), len(v))
	case *starlark.List:
		if !s.first(unsafe.Pointer(v)) {
			return 0
		}
		for x := range v.Elements() {
			s.push(x)
		}
		return listCost + int64(v.Len())*slotCost
	case starlark.Tuple:
		if len(v) == 0 || !s.first(unsafe.Pointer(unsafe.SliceData(v))) {
			return 0
		}
		for _, x := range v {
			s.push(x)
		}
		return listCost + int64(len(v))*slotCost
	case *starlark.Dict:
		if !s.first(unsafe.Pointer(v)) {
			return 0
		}
		for k, x := range v.Entries() {
			s.push(k)
			s.push(x)
		}
		return dictCost + int64(v.Len())*entryCost
	case *starlark.Set:
		if !s.first(unsafe.Pointer(v)) {
			return 0
		}
		for x := range v.Elements() {
			s.push(x)
		}
		return dictCost + int64(v.Len())*entryCost
	case *starlarkstruct.Struct:
		if !s.first(unsafe.Pointer(v)) {
			return 0
		}
		names := v.AttrNames()
		for _, n := range names {
			if x, err := v.Attr(n); err == nil {
				s.stack = append(s.stack, x)
			}
		}
		return listCost + int64(len(names))*(slotCost+stringCost)
	case *starlark.Function:
		if !s.first(unsafe.Pointer(v)) {
			return 0
		}
		for i := range v.NumFreeVars() {
			_, x := v.FreeVar(i)
			s.stack = append(s.stack, x)
		}
		return functionCost
	}
	return opaqueCost
}

// bytes counts a string's or bytes' data once: long values are often
// shared (the same prompt in every row of a table).
func (s *sizer) bytes(data *byte, n int) int64 {
	if n >= 64 && !s.first(unsafe.Pointer(data)) {
		return 0
	}
	return stringCost + int64(n)
}

// Size estimates the bytes that v and everything reachable from it hold.
// Values shared between parts of v are counted once.
func Size(v starlark.Value) int64 {
	s := newSizer(0)
	s.add(v)
	return s.total
}
