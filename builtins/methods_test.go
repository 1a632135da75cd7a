package builtins

import (
	"slices"
	"testing"

	"go.starlark.net/starlark"
)

// TestAttrNamesAreAttrs: every value of the package declares its methods
// in one table (methods), so each name AttrNames lists is an attribute,
// each method is a builtin named "<prefix>.<name>" bound to the value (the
// name its errors start with), the names are sorted and unique, and a
// name not listed is no attribute.
func TestAttrNamesAreAttrs(t *testing.T) {
	for _, c := range []struct {
		prefix string
		v      starlark.HasAttrs
		fields []string // attributes that are not methods
	}{
		{"Event", NewEvent(nil), nil},
		{"Session", &Session{}, []string{"allocated", "cause", "flags", "hook_state", "tts_name", "uuid", "voice_name"}},
		{"Stream", NewStream(16), nil},
		{"EventConsumer", &consumer{}, nil},
		{"API", apiValue{}, nil},
		{"IVRMenu", &IVRMenu{}, nil},
		{"JSON", &jsonObject{}, nil},
		{"MediaHandle", &MediaHandle{s: &Session{}, done: make(chan struct{})}, []string{"active", "path"}},
		{"Dbh", &Dbh{}, nil},
	} {
		t.Run(c.prefix, func(t *testing.T) {
			names := c.v.AttrNames()
			if !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) {
				t.Errorf("AttrNames %q: not sorted and unique", names)
			}
			for _, n := range names {
				v, err := c.v.Attr(n)
				if err != nil || v == nil {
					t.Errorf("Attr(%q) = %v, %v: a listed name must be an attribute", n, v, err)
					continue
				}
				if slices.Contains(c.fields, n) {
					continue
				}
				b, ok := v.(*starlark.Builtin)
				if !ok {
					t.Errorf("Attr(%q) is a %s, want a method", n, v.Type())
					continue
				}
				if b.Name() != c.prefix+"."+n || b.Receiver() != c.v {
					t.Errorf("Attr(%q) is %s bound to %v, want %s.%s bound to the value", n, b.Name(), b.Receiver(), c.prefix, n)
				}
			}
			for _, f := range c.fields {
				if !slices.Contains(names, f) {
					t.Errorf("AttrNames %q lacks the field %s", names, f)
				}
			}
			if v, err := c.v.Attr("no_such_attribute"); v != nil || err != nil {
				t.Errorf("Attr(no_such_attribute) = %v, %v, want nil, nil", v, err)
			}
		})
	}
}

// TestParamsAttrs: params has its dict-like methods, named params.<name>,
// and the Event's.
func TestParamsAttrs(t *testing.T) {
	p := NewParams(nil)
	names := p.AttrNames()
	for _, n := range []string{"get", "items", "keys", "values"} {
		v, err := p.Attr(n)
		if b, ok := v.(*starlark.Builtin); err != nil || !ok || b.Name() != "params."+n {
			t.Errorf("Attr(%q) = %v, %v, want the builtin params.%s", n, v, err, n)
		}
		if !slices.Contains(names, n) {
			t.Errorf("AttrNames lacks %s", n)
		}
	}
	for _, n := range p.Event.AttrNames() {
		if v, err := p.Attr(n); err != nil || v == nil || !slices.Contains(names, n) {
			t.Errorf("the Event's %s: Attr = %v, %v; listed %v", n, v, err, slices.Contains(names, n))
		}
	}
}
