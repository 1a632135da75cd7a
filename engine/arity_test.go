package engine

import (
	"testing"

	"go.starlark.net/starlark"
)

func TestCheckArity(t *testing.T) {
	for _, tc := range []struct {
		def  string
		want string
	}{
		{"def handler(session, args): pass", ""},
		{"def handler(session, args=None): pass", ""},
		{"def handler(session, args, extra=1): pass", ""},
		{"def handler(session, *args): pass", ""},
		{"def handler(*args, **kwargs): pass", ""},
		{"def handler(session, args, *, flag=False): pass", ""},
		{"def handler(session): pass", "handler takes 1 parameter, handler(session, args) needs 2"},
		{"def handler(a, b, c): pass", "handler takes 3 parameters, handler(session, args) needs 2"},
		{"def handler(a, b, c, d=1): pass", "handler takes 3 to 4 parameters, handler(session, args) needs 2"},
		{"def handler(a, b, c, *r): pass", "handler takes at least 3 parameters, handler(session, args) needs 2"},
		{"def handler(a, b, *, c): pass", "handler has a required keyword-only parameter c, handler(session, args) passes 2 positional"},
	} {
		globals, err := starlark.ExecFile(&starlark.Thread{}, "x.star", tc.def, nil)
		if err != nil {
			t.Fatal(err)
		}
		n, sig, ok := EntrySignature("handler")
		if !ok || n != 2 {
			t.Fatalf("EntrySignature(handler) = %d, %q, %v", n, sig, ok)
		}
		got := ""
		if err := CheckArity(globals["handler"], n, sig); err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.def, got, tc.want)
		}
	}
	for name, want := range map[string]int{"handler": 2, "fsapi": 4, "runtime": 1, "xml_fetch": 1} {
		if n, _, ok := EntrySignature(name); !ok || n != want {
			t.Errorf("EntrySignature(%s) = %d, %v; want %d", name, n, ok, want)
		}
	}
	for _, name := range []string{"hangup_hook", "input_callback", "main"} {
		if _, _, ok := EntrySignature(name); ok {
			t.Errorf("EntrySignature(%s) is an entry point called by name; want not", name)
		}
	}
}
