package builtins

import (
	"fmt"
	"strings"

	"github.com/fsstar/fsstar/esl"
	"go.starlark.net/starlark"
)

// escapeVars is freeswitch.escapeVars(text): text to splice into the data
// of session.execute(app, data), where the switch expands ${...}: it reads
// back as exactly text, nothing in it evaluated, while the rest of the data
// is expanded as usual.
func escapeVars(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var text string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "text", &text); err != nil {
		return nil, err
	}
	return starlark.String(esl.EscapeVarsPart(text)), nil
}

// quoteArg is freeswitch.quoteArg(text): text as one argument of data the
// switch splits on blanks (or on ',', '|', '='): quotes, blanks,
// backslashes and line breaks survive the split. API().execute arguments
// are not expanded, so quoteArg alone is right there; in app data, wrap
// it: escapeVars(quoteArg(text)).
func quoteArg(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var text string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "text", &text); err != nil {
		return nil, err
	}
	if strings.IndexByte(text, 0) >= 0 {
		return nil, fmt.Errorf("%s: text holds a NUL byte", fn.Name())
	}
	return starlark.String(esl.QuoteArg(text)), nil
}

// dialVar is freeswitch.dialVar(name, value): "name=value" for the {...}
// (or [...]) variables of a dial string, written so that the switch sets
// the variable to exactly value. The switch splits those variables on ','
// and then on '=', unquoting each time, so the value is quoted twice. A
// value holding a bracket is refused: the switch finds the end of {...}
// without looking at quotes.
func dialVar(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name, value string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "name", &name, "value", &value); err != nil {
		return nil, err
	}
	if name == "" || strings.ContainsAny(name, "=,'\"\\ {}[]<>\t\r\n\x00^") {
		return nil, fmt.Errorf("%s: invalid variable name %q", fn.Name(), name)
	}
	if strings.ContainsAny(value, "{}[]<>\x00") {
		return nil, fmt.Errorf("%s: the value of %s holds a bracket or a NUL byte, which a dial string cannot carry: %q", fn.Name(), name, value)
	}
	return starlark.String(name + "=" + esl.QuoteArg(esl.QuoteArg(value))), nil
}
