package re

import (
	"fmt"

	"github.com/fsstar/fsstar/builtins/lib/internal/libutil"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// patternMethod is a method of Pattern; name is what errors name.
type patternMethod func(thread *starlark.Thread, name string, c *compiled, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)

var patternMethods = map[string]patternMethod{
	"match":     matchMethod,
	"fullmatch": fullmatchMethod,
	"search":    searchMethod,
	"findall":   findallMethod,
	"sub":       subMethod,
	"split":     splitMethod,
}

// Pattern is a compiled regular expression (re.compile). It is immutable.
type Pattern struct{ c *compiled }

var (
	_ starlark.HasAttrs   = (*Pattern)(nil)
	_ starlark.Comparable = (*Pattern)(nil)
)

// String is how the pattern prints: re.compile("...").
func (p *Pattern) String() string { return "re.compile(" + starlark.String(p.c.src).String() + ")" }

// Type is "re.pattern".
func (p *Pattern) Type() string { return "re.pattern" }

// Freeze does nothing: a Pattern is immutable.
func (p *Pattern) Freeze() {}

// Truth is always True.
func (p *Pattern) Truth() starlark.Bool { return true }

// Hash hashes the pattern text.
func (p *Pattern) Hash() (uint32, error) { return starlark.String(p.c.src).Hash() }

// CompareSameType makes patterns of the same text equal.
func (p *Pattern) CompareSameType(op syntax.Token, y starlark.Value, _ int) (bool, error) {
	switch op {
	case syntax.EQL:
		return p.c.src == y.(*Pattern).c.src, nil
	case syntax.NEQ:
		return p.c.src != y.(*Pattern).c.src, nil
	}
	return false, fmt.Errorf("%s %s %s not supported", p.Type(), op, y.Type())
}

// Attr returns a method, or pattern / groups.
func (p *Pattern) Attr(name string) (starlark.Value, error) {
	switch name {
	case "pattern":
		return starlark.String(p.c.src), nil
	case "groups":
		return starlark.MakeInt(p.c.re.NumSubexp()), nil
	}
	m, ok := patternMethods[name]
	if !ok {
		return nil, nil
	}
	c := p.c
	return libutil.Builtin("re.pattern."+name, func(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		return m(thread, fn.Name(), c, args, kwargs)
	}).BindReceiver(p), nil
}

// AttrNames lists the methods and attributes.
func (p *Pattern) AttrNames() []string {
	return []string{"findall", "fullmatch", "groups", "match", "pattern", "search", "split", "sub"}
}

// Match is one match of a pattern (re.search, re.match, ...). It is immutable.
type Match struct {
	c   *compiled
	s   string
	idx []int // FindStringSubmatchIndex
}

var _ starlark.HasAttrs = (*Match)(nil)

// String is how the match prints, as Python's.
func (m *Match) String() string {
	return fmt.Sprintf("<re.match span=(%d, %d), match=%s>", m.idx[0], m.idx[1], starlark.String(m.s[m.idx[0]:m.idx[1]]).String())
}

// Type is "re.match".
func (m *Match) Type() string { return "re.match" }

// Freeze does nothing: a Match is immutable.
func (m *Match) Freeze() {}

// Truth is always True (a failed match is None).
func (m *Match) Truth() starlark.Bool { return true }

// Hash fails: matches are not hashable.
func (m *Match) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: re.match") }

// text returns group i's text, or None.
func (m *Match) text(i int) starlark.Value {
	if m.idx[2*i] < 0 {
		return starlark.None
	}
	return starlark.String(m.s[m.idx[2*i]:m.idx[2*i+1]])
}

// Attr returns a method or an attribute.
func (m *Match) Attr(name string) (starlark.Value, error) {
	switch name {
	case "string":
		return starlark.String(m.s), nil
	case "pattern":
		return starlark.String(m.c.src), nil
	case "lastindex":
		// The group that closed last: the largest end, the outer one on a tie.
		last, end := -1, -1
		for i := 1; i < len(m.idx)/2; i++ {
			if m.idx[2*i] >= 0 && m.idx[2*i+1] > end {
				last, end = i, m.idx[2*i+1]
			}
		}
		if last < 0 {
			return starlark.None, nil
		}
		return starlark.MakeInt(last), nil
	}
	impl, ok := matchMethods[name]
	if !ok {
		return nil, nil
	}
	return libutil.Builtin("re.match."+name, func(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		return impl(m, fn.Name(), args, kwargs)
	}).BindReceiver(m), nil
}

// AttrNames lists the methods and attributes.
func (m *Match) AttrNames() []string {
	return []string{"end", "group", "groupdict", "groups", "lastindex", "pattern", "span", "start", "string"}
}

var matchMethods = map[string]func(m *Match, name string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error){
	"group": func(m *Match, name string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if len(kwargs) > 0 {
			return nil, fmt.Errorf("%s: unexpected keyword arguments", name)
		}
		if len(args) == 0 {
			return m.text(0), nil
		}
		out := make(starlark.Tuple, len(args))
		for k, g := range args {
			i, err := m.c.group(g)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			out[k] = m.text(i)
		}
		if len(out) == 1 {
			return out[0], nil
		}
		return out, nil
	},
	"groups": func(m *Match, name string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var def starlark.Value = starlark.None
		if err := starlark.UnpackArgs(name, args, kwargs, "default?", &def); err != nil {
			return nil, err
		}
		out := make(starlark.Tuple, 0, len(m.idx)/2-1)
		for i := 1; i < len(m.idx)/2; i++ {
			v := m.text(i)
			if v == starlark.None {
				v = def
			}
			out = append(out, v)
		}
		return out, nil
	},
	"groupdict": func(m *Match, name string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var def starlark.Value = starlark.None
		if err := starlark.UnpackArgs(name, args, kwargs, "default?", &def); err != nil {
			return nil, err
		}
		d := starlark.NewDict(len(m.c.names))
		for i, n := range m.c.names {
			if i == 0 || n == "" {
				continue
			}
			v := m.text(i)
			if v == starlark.None {
				v = def
			}
			if err := d.SetKey(starlark.String(n), v); err != nil {
				return nil, err
			}
		}
		return d, nil
	},
	"start": func(m *Match, name string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		i, err := m.groupArg(name, args, kwargs)
		if err != nil {
			return nil, err
		}
		return starlark.MakeInt(m.idx[2*i]), nil
	},
	"end": func(m *Match, name string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		i, err := m.groupArg(name, args, kwargs)
		if err != nil {
			return nil, err
		}
		return starlark.MakeInt(m.idx[2*i+1]), nil
	},
	"span": func(m *Match, name string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		i, err := m.groupArg(name, args, kwargs)
		if err != nil {
			return nil, err
		}
		return starlark.Tuple{starlark.MakeInt(m.idx[2*i]), starlark.MakeInt(m.idx[2*i+1])}, nil
	},
}

// groupArg unpacks the optional group argument of start, end and span.
func (m *Match) groupArg(name string, args starlark.Tuple, kwargs []starlark.Tuple) (int, error) {
	var g starlark.Value = starlark.MakeInt(0)
	if err := starlark.UnpackArgs(name, args, kwargs, "group?", &g); err != nil {
		return 0, err
	}
	i, err := m.c.group(g)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return i, nil
}
