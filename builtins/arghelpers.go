package builtins

import (
	"fmt"
	"strings"

	"github.com/fsstar/fsstar/esl"
	"go.starlark.net/starlark"
)

// argText is one value of appArgs, apiArgs or dialVars as the switch
// should read it: a str as it is, an int or a float in decimal, a bool as
// "true" / "false" (what switch_true reads).
func argText(v starlark.Value) (string, error) {
	switch v := v.(type) {
	case starlark.String:
		if strings.IndexByte(string(v), 0) >= 0 {
			return "", fmt.Errorf("%s holds a NUL byte", v)
		}
		return string(v), nil
	case starlark.Int, starlark.Float:
		return v.String(), nil
	case starlark.Bool:
		if v {
			return "true", nil
		}
		return "false", nil
	}
	return "", fmt.Errorf("got %s, want str, int, float or bool", v.Type())
}

// quotedArgs quotes each positional argument (esl.QuoteArg), escapes it
// with escape when given, and joins them with sep (one character, default
// a blank).
func quotedArgs(fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple, escape func(string) string) (starlark.Value, error) {
	sep := " "
	if err := starlark.UnpackArgs(fn.Name(), nil, kwargs, "sep?", &sep); err != nil {
		return nil, err
	}
	if len(sep) != 1 || !strings.Contains(" ,|;:", sep) {
		return nil, fmt.Errorf("%s: sep must be one of ' ' ',' '|' ';' ':', got %q", fn.Name(), sep)
	}
	parts := make([]string, len(args))
	for i, a := range args {
		s, err := argText(a)
		if err != nil {
			return nil, fmt.Errorf("%s: argument %d: %w", fn.Name(), i+1, err)
		}
		parts[i] = esl.QuoteArg(s)
		if escape != nil {
			parts[i] = escape(parts[i])
		}
	}
	return starlark.String(strings.Join(parts, sep)), nil
}

// appArgs is freeswitch.appArgs(*args, sep=" "): the data of
// session.execute(app, data) for an app that splits its data into
// arguments; each argument arrives byte for byte, nothing in it expanded.
func appArgs(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return quotedArgs(fn, args, kwargs, esl.EscapeVarsPart)
}

// apiArgs is freeswitch.apiArgs(*args, sep=" "): the arguments of
// API().execute(cmd, args), each one quoted (api arguments are not expanded).
func apiArgs(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return quotedArgs(fn, args, kwargs, nil)
}

// dialVars is freeswitch.dialVars(vars, brackets="{}"): the variables
// block of a dial string, "{a=...,b=...}", each pair written by dialVar;
// brackets "[]" gives the per-leg block and "<>" the enterprise one. vars
// is a dict or a list of (name, value) pairs, in order; an empty one gives "".
func dialVars(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var vars starlark.Value
	brackets := "{}"
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "vars", &vars, "brackets?", &brackets); err != nil {
		return nil, err
	}
	switch brackets {
	case "{}", "[]", "<>":
	default:
		return nil, fmt.Errorf("%s: brackets must be \"{}\" (every leg), \"[]\" (one leg) or \"<>\" (enterprise), got %q", fn.Name(), brackets)
	}
	var pairs []starlark.Tuple
	switch v := vars.(type) {
	case *starlark.Dict:
		pairs = v.Items()
	case *starlark.List, starlark.Tuple:
		it := starlark.Iterate(v)
		defer it.Done()
		var x starlark.Value
		for it.Next(&x) {
			p, ok := x.(starlark.Tuple)
			if !ok || len(p) != 2 {
				return nil, fmt.Errorf("%s: %s is not a (name, value) pair", fn.Name(), x)
			}
			pairs = append(pairs, p)
		}
	default:
		return nil, fmt.Errorf("%s: vars must be a dict or a list of (name, value) pairs, not %s", fn.Name(), vars.Type())
	}
	if len(pairs) == 0 {
		return starlark.String(""), nil
	}
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		name, ok := starlark.AsString(p[0])
		if !ok {
			return nil, fmt.Errorf("%s: variable name %s is not a string", fn.Name(), p[0])
		}
		value, err := argText(p[1])
		if err != nil {
			return nil, fmt.Errorf("%s: the value of %s: %w", fn.Name(), name, err)
		}
		// dialVar's checks and quoting, with errors naming dialVars.
		s, err := dialVar(thread, fn, starlark.Tuple{starlark.String(name), starlark.String(value)}, nil)
		if err != nil {
			return nil, err
		}
		parts[i] = string(s.(starlark.String))
	}
	return starlark.String(brackets[:1] + strings.Join(parts, ",") + brackets[1:]), nil
}
