package engine

import (
	"fmt"
	"strings"

	"go.starlark.net/starlark"
)

// CheckArity reports whether fn can be called with n positional
// arguments, in words a script writer understands:
// "handler takes 1 parameter, handler(session, args) needs 2".
// Callables other than Starlark functions are not checked. `fsstar check`
// uses it too, so the checker and the engine say the same thing.
func CheckArity(fn starlark.Value, n int, signature string) error {
	f, ok := fn.(*starlark.Function)
	if !ok {
		return nil
	}
	positional := f.NumParams() - f.NumKwonlyParams()
	if f.HasVarargs() {
		positional--
	}
	if f.HasKwargs() {
		positional--
	}
	required := 0
	for i := 0; i < positional; i++ {
		if f.ParamDefault(i) == nil {
			required++
		}
	}
	for i := positional; i < positional+f.NumKwonlyParams(); i++ {
		if f.ParamDefault(i) == nil {
			name, _ := f.Param(i)
			return fmt.Errorf("%s has a required keyword-only parameter %s, %s passes %d positional", f.Name(), name, signature, n)
		}
	}
	if n < required || (n > positional && !f.HasVarargs()) {
		return fmt.Errorf("%s takes %s, %s needs %d", f.Name(), takes(required, positional, f.HasVarargs()), signature, n)
	}
	return nil
}

func takes(required, positional int, varargs bool) string {
	switch {
	case varargs:
		return fmt.Sprintf("at least %d parameter%s", required, plural(required))
	case required == positional:
		return fmt.Sprintf("%d parameter%s", positional, plural(positional))
	default:
		return fmt.Sprintf("%d to %d parameters", required, positional)
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// EntrySignature tells how fsstar calls the entry point named name when no
// "::function" is given (handler, fsapi, runtime, xml_fetch, event_hook): the number of
// positional arguments and the mod_python signature. ok is false for any
// other name.
func EntrySignature(name string) (n int, signature string, ok bool) {
	for _, e := range entrySpec[:EntryHangupHook] {
		if e.name == name {
			return strings.Count(e.signature, ",") + 1, e.signature, true
		}
	}
	return 0, "", false
}
