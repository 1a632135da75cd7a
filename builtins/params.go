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

// paramsMethods are the dict-like methods of Params (params.get,
// params.keys...); the Event's follow them.
var paramsMethods = methods[*Params]{
	"get":    (*Params).get,
	"keys":   (*Params).keys,
	"items":  (*Params).items,
	"values": (*Params).values,
}

// Attr returns a method of paramsMethods, or else of the Event.
func (p *Params) Attr(name string) (starlark.Value, error) {
	if _, ok := paramsMethods[name]; ok {
		return paramsMethods.attr(p, "params", name)
	}
	return p.Event.Attr(name)
}

// AttrNames lists the methods of paramsMethods and the Event's.
func (p *Params) AttrNames() []string {
	names := append(paramsMethods.names(), p.Event.AttrNames()...)
	slices.Sort(names)
	return names
}

// get is params.get(key, default=None): the first header called key, or
// default.
func (p *Params) get(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var key string
	var def starlark.Value = starlark.None
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "key", &key, "default?", &def); err != nil {
		return nil, err
	}
	if v, ok := p.ev.Headers.Lookup(key); ok {
		return starlark.String(v), nil
	}
	return def, nil
}

// keys is params.keys(): the header names, in order.
func (p *Params) keys(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return p.list(fn, args, kwargs, func(it starlark.Tuple) starlark.Value { return it[0] })
}

// values is params.values(): the first value of each name.
func (p *Params) values(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return p.list(fn, args, kwargs, func(it starlark.Tuple) starlark.Value { return it[1] })
}

// items is params.items(): (name, value) pairs, as Items.
func (p *Params) items(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return p.list(fn, args, kwargs, func(it starlark.Tuple) starlark.Value { return it })
}

// list is keys, values and items: a list of pick(item) for each of Items.
func (p *Params) list(fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple, pick func(starlark.Tuple) starlark.Value) (starlark.Value, error) {
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs); err != nil {
		return nil, err
	}
	var l []starlark.Value
	for _, it := range p.Items() {
		l = append(l, pick(it))
	}
	return starlark.NewList(l), nil
}
