package re

import (
	"fmt"
	"strconv"
	"strings"

	"go.starlark.net/starlark"
)

// unpackString unpacks the one string argument of match, fullmatch and search.
func unpackString(name string, c *compiled, args starlark.Tuple, kwargs []starlark.Tuple) (string, error) {
	var s string
	if err := starlark.UnpackArgs(name, args, kwargs, "string", &s); err != nil {
		return "", err
	}
	return s, c.input(name, s)
}

func matchResult(c *compiled, s string, idx []int) starlark.Value {
	if idx == nil {
		return starlark.None
	}
	return &Match{c: c, s: s, idx: idx}
}

func matchMethod(_ *starlark.Thread, name string, c *compiled, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	s, err := unpackString(name, c, args, kwargs)
	if err != nil {
		return nil, err
	}
	return matchResult(c, s, c.anchored().FindStringSubmatchIndex(s)), nil
}

func fullmatchMethod(_ *starlark.Thread, name string, c *compiled, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	s, err := unpackString(name, c, args, kwargs)
	if err != nil {
		return nil, err
	}
	return matchResult(c, s, c.full().FindStringSubmatchIndex(s)), nil
}

func searchMethod(_ *starlark.Thread, name string, c *compiled, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	s, err := unpackString(name, c, args, kwargs)
	if err != nil {
		return nil, err
	}
	return matchResult(c, s, c.re.FindStringSubmatchIndex(s)), nil
}

func findallMethod(_ *starlark.Thread, name string, c *compiled, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	s, err := unpackString(name, c, args, kwargs)
	if err != nil {
		return nil, err
	}
	all := c.re.FindAllStringSubmatchIndex(s, -1)
	out := make([]starlark.Value, len(all))
	groups := c.re.NumSubexp()
	text := func(idx []int, i int) starlark.String {
		if idx[2*i] < 0 {
			return ""
		}
		return starlark.String(s[idx[2*i]:idx[2*i+1]])
	}
	for k, idx := range all {
		switch groups {
		case 0:
			out[k] = text(idx, 0)
		case 1:
			out[k] = text(idx, 1)
		default:
			t := make(starlark.Tuple, groups)
			for i := range groups {
				t[i] = text(idx, i+1)
			}
			out[k] = t
		}
	}
	return starlark.NewList(out), nil
}

func splitMethod(_ *starlark.Thread, name string, c *compiled, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var s string
	maxsplit := 0
	if err := starlark.UnpackArgs(name, args, kwargs, "string", &s, "maxsplit?", &maxsplit); err != nil {
		return nil, err
	}
	if err := c.input(name, s); err != nil {
		return nil, err
	}
	if maxsplit < 0 {
		return nil, fmt.Errorf("%s: maxsplit must be 0 (every match) or more, got %d", name, maxsplit)
	}
	n := -1
	if maxsplit > 0 {
		n = maxsplit
	}
	var out []starlark.Value
	last := 0
	for _, idx := range c.re.FindAllStringSubmatchIndex(s, n) {
		out = append(out, starlark.String(s[last:idx[0]]))
		for i := 1; i < len(idx)/2; i++ {
			if idx[2*i] < 0 {
				out = append(out, starlark.None)
			} else {
				out = append(out, starlark.String(s[idx[2*i]:idx[2*i+1]]))
			}
		}
		last = idx[1]
	}
	out = append(out, starlark.String(s[last:]))
	return starlark.NewList(out), nil
}

func subMethod(thread *starlark.Thread, name string, c *compiled, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var repl starlark.Value
	var s string
	count := 0
	if err := starlark.UnpackArgs(name, args, kwargs, "repl", &repl, "string", &s, "count?", &count); err != nil {
		return nil, err
	}
	if err := c.input(name, s); err != nil {
		return nil, err
	}
	if count < 0 {
		return nil, fmt.Errorf("%s: count must be 0 (every match) or more, got %d", name, count)
	}
	var tmpl []replPart
	fn, isFunc := repl.(starlark.Callable)
	if !isFunc {
		text, ok := starlark.AsString(repl)
		if !ok {
			return nil, fmt.Errorf("%s: repl must be a string or a function, not %s", name, repl.Type())
		}
		var err error
		if tmpl, err = parseRepl(c, text); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	n := -1
	if count > 0 {
		n = count
	}
	var b strings.Builder
	last := 0
	for _, idx := range c.re.FindAllStringSubmatchIndex(s, n) {
		b.WriteString(s[last:idx[0]])
		if isFunc {
			v, err := starlark.Call(thread, fn, starlark.Tuple{&Match{c: c, s: s, idx: idx}}, nil)
			if err != nil {
				return nil, err
			}
			r, ok := starlark.AsString(v)
			if !ok {
				return nil, fmt.Errorf("%s: the repl function returned %s, want a string", name, v.Type())
			}
			b.WriteString(r)
		} else {
			for _, p := range tmpl {
				if p.group < 0 {
					b.WriteString(p.text)
				} else if idx[2*p.group] >= 0 {
					b.WriteString(s[idx[2*p.group]:idx[2*p.group+1]])
				}
			}
		}
		last = idx[1]
		if b.Len() > c.opts.MaxInput {
			return nil, fmt.Errorf("%s: the result is longer than the limit of %d bytes", name, c.opts.MaxInput)
		}
	}
	b.WriteString(s[last:])
	if b.Len() > c.opts.MaxInput {
		return nil, fmt.Errorf("%s: the result is longer than the limit of %d bytes", name, c.opts.MaxInput)
	}
	return starlark.String(b.String()), nil
}

// replPart is a piece of a replacement: literal text, or a group (>= 0).
type replPart struct {
	text  string
	group int
}

// parseRepl reads a Python replacement template: \1..\99, \g<n>, \g<name>,
// \\ and the escapes \n \t \r \f \v \a; another escaped ASCII letter is an
// error, any other escaped character stays as written.
func parseRepl(c *compiled, repl string) ([]replPart, error) {
	var parts []replPart
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, replPart{text: lit.String(), group: -1})
			lit.Reset()
		}
	}
	addGroup := func(g int, ref string) error {
		if g < 0 || g > c.re.NumSubexp() {
			return fmt.Errorf("invalid group reference %s in the replacement (the pattern has %d groups)", ref, c.re.NumSubexp())
		}
		flush()
		parts = append(parts, replPart{group: g})
		return nil
	}
	for i := 0; i < len(repl); i++ {
		ch := repl[i]
		if ch != '\\' {
			lit.WriteByte(ch)
			continue
		}
		if i+1 == len(repl) {
			return nil, fmt.Errorf("bad escape (end of the replacement) in %q", repl)
		}
		i++
		e := repl[i]
		switch {
		case e >= '0' && e <= '9':
			j := i + 1
			if j < len(repl) && repl[j] >= '0' && repl[j] <= '9' {
				j++
			}
			g, _ := strconv.Atoi(repl[i:j])
			if err := addGroup(g, `\`+repl[i:j]); err != nil {
				return nil, err
			}
			i = j - 1
		case e == 'g':
			end := strings.IndexByte(repl[i:], '>')
			if i+1 >= len(repl) || repl[i+1] != '<' || end < 0 {
				return nil, fmt.Errorf(`missing \g<...> group name in the replacement %q`, repl)
			}
			ref := repl[i+2 : i+end]
			g, err := strconv.Atoi(ref)
			if err != nil {
				g = -1
				if ref != "" {
					g = c.re.SubexpIndex(ref)
				}
				if g < 0 {
					return nil, fmt.Errorf(`unknown group name \g<%s> in the replacement`, ref)
				}
			}
			if err := addGroup(g, `\g<`+ref+`>`); err != nil {
				return nil, err
			}
			i += end
		case e == '\\':
			lit.WriteByte('\\')
		case e == 'n':
			lit.WriteByte('\n')
		case e == 't':
			lit.WriteByte('\t')
		case e == 'r':
			lit.WriteByte('\r')
		case e == 'f':
			lit.WriteByte('\f')
		case e == 'v':
			lit.WriteByte('\v')
		case e == 'a':
			lit.WriteByte('\a')
		case e >= 'a' && e <= 'z' || e >= 'A' && e <= 'Z':
			return nil, fmt.Errorf(`bad escape \%c in the replacement %q`, e, repl)
		default:
			lit.WriteByte('\\')
			lit.WriteByte(e)
		}
	}
	flush()
	return parts, nil
}
