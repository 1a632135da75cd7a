package builtins

import (
	"fmt"
	"slices"

	"github.com/fsstar/fsstar/esl"
	"go.starlark.net/starlark"
)

// Params is the params of xml_fetch(params): the switch's request as an
// Event, as mod_python passes it (params.getHeader("section"),
// params.serialize()), that can also be read like a dict (params["section"],
// "key_value" in params, params.get(name, default), keys, items, values,
// len, iteration over the names). It is frozen.
type Params struct {
	*Event
}

var (
	_ starlark.IterableMapping = (*Params)(nil)
	_ starlark.HasAttrs        = (*Params)(nil)
)

// NewParams returns ev (not copied) as xml_fetch's frozen params.
func NewParams(ev *esl.Event) *Params {
	p := &Params{NewEvent(ev)}
	p.Freeze()
	return p
}

// Get is params[name]: the first header of that name.
func (p *Params) Get(k starlark.Value) (starlark.Value, bool, error) {
	name, ok := k.(starlark.String)
	if !ok {
		return nil, false, fmt.Errorf("params: key must be a string, not %s", k.Type())
	}
	v, found := p.ev.Headers.Lookup(string(name))
	if !found {
		return nil, false, nil
	}
	return starlark.String(v), true, nil
}

func (p *Params) names() []string {
	var out []string
	for _, h := range p.ev.Headers {
		if !slices.Contains(out, h.Name) {
			out = append(out, h.Name)
		}
	}
	return out
}

// Iterate iterates over the header names, in order.
func (p *Params) Iterate() starlark.Iterator {
	names := p.names()
	l := make([]starlark.Value, len(names))
	for i, n := range names {
		l[i] = starlark.String(n)
	}
	return starlark.NewList(l).Iterate()
}

// Len is the number of header names.
func (p *Params) Len() int { return len(p.names()) }

// Items returns (name, value) pairs, the first value of each name.
func (p *Params) Items() []starlark.Tuple {
	var out []starlark.Tuple
	for _, n := range p.names() {
		v, _ := p.ev.Headers.Lookup(n)
		out = append(out, starlark.Tuple{starlark.String(n), starlark.String(v)})
	}
	return out
}

// Attr returns the dict-like methods, then the Event's.
func (p *Params) Attr(name string) (starlark.Value, error) {
	switch name {
	case "get":
		return starlark.NewBuiltin("params.get", func(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var key string
			var def starlark.Value = starlark.None
			if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "key", &key, "default?", &def); err != nil {
				return nil, err
			}
			if v, ok := p.ev.Headers.Lookup(key); ok {
				return starlark.String(v), nil
			}
			return def, nil
		}), nil
	case "keys", "items", "values":
		return starlark.NewBuiltin("params."+name, func(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if err := starlark.UnpackArgs(fn.Name(), args, kwargs); err != nil {
				return nil, err
			}
			var l []starlark.Value
			for _, it := range p.Items() {
				switch name {
				case "keys":
					l = append(l, it[0])
				case "values":
					l = append(l, it[1])
				default:
					l = append(l, it)
				}
			}
			return starlark.NewList(l), nil
		}), nil
	}
	return p.Event.Attr(name)
}

// AttrNames lists the dict-like methods and the Event's.
func (p *Params) AttrNames() []string {
	names := append([]string{"get", "items", "keys", "values"}, p.Event.AttrNames()...)
	slices.Sort(names)
	return names
}
