package scriptcheck

import (
	"fmt"
	"strings"

	"go.starlark.net/syntax"
)

// entryPoints maps the entry-point names to how fsstar calls them.
func entryPoints() map[string]struct {
	n         int
	signature string
} {
	return map[string]struct {
		n         int
		signature string
	}{
		"handler":   {2, "handler(session, args)"},
		"fsapi":     {4, "fsapi(session, stream, env, args)"},
		"runtime":   {1, "runtime(args)"},
		"xml_fetch": {1, "xml_fetch(params)"},
	}
}

// entryPoints checks the arity of the top-level functions named as entry
// points (and test_* in a *_test.star file).
func (c *checker) entryPoints(sf scriptFile, f *syntax.File) {
	table := entryPoints()
	isTest := strings.HasSuffix(sf.path, "_test.star")
	for _, stmt := range f.Stmts {
		def, ok := stmt.(*syntax.DefStmt)
		if !ok {
			continue
		}
		name := def.Name.Name
		ep, ok := table[name]
		if isTest && strings.HasPrefix(name, "test_") {
			ep.n, ep.signature, ok = 1, name+"(t)", true
		}
		if !ok {
			continue
		}
		if msg := arityProblem(def, ep.n, ep.signature); msg != "" {
			c.add(def.Name.NamePos, "%s", msg)
		}
	}
}

// arityProblem says why def cannot be called with n positional arguments,
// in the engine's words ("handler takes 1 parameter, handler(session, args)
// needs 2"), or "" when it can.
func arityProblem(def *syntax.DefStmt, n int, signature string) string {
	var required, positional int
	var varargs, kwonly bool
	for _, p := range def.Params {
		switch p := p.(type) {
		case *syntax.Ident:
			if kwonly {
				return fmt.Sprintf("%s has a required keyword-only parameter %s, %s passes %d positional", def.Name.Name, p.Name, signature, n)
			}
			required++
			positional++
		case *syntax.BinaryExpr: // name=default
			if !kwonly {
				positional++
			}
		case *syntax.UnaryExpr:
			if p.Op == syntax.STAR {
				kwonly = true
				if p.X != nil {
					varargs = true
				}
			}
		}
	}
	if n < required || (n > positional && !varargs) {
		return fmt.Sprintf("%s takes %s, %s needs %d", def.Name.Name, takes(required, positional, varargs), signature, n)
	}
	return ""
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
