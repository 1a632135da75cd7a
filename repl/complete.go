package repl

import (
	"sort"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// indent is what Tab inserts at the start of a line.
const indent = "    "

// completer completes the dotted name before the cursor for readline.
type completer struct{ r *REPL }

// Do implements readline.AutoCompleter: the suffixes that complete the word
// before pos, and the length of the part of the word they extend.
// At the start of a line (only blanks before the cursor) Tab indents.
func (c completer) Do(line []rune, pos int) ([][]rune, int) {
	if strings.TrimSpace(string(line[:pos])) == "" {
		return [][]rune{[]rune(indent)}, 0
	}
	word := wordBefore(string(line[:pos]))
	cands, partial := c.r.Complete(word)
	out := make([][]rune, len(cands))
	for i, s := range cands {
		out[i] = []rune(strings.TrimPrefix(s, partial))
	}
	return out, len([]rune(partial))
}

// Complete returns the names that may follow word, a dotted name such as
// "freeswitch.con" or "ev.get": the global names, built-ins and keywords
// with that prefix, or the attributes (dir()) of the value the part before
// the last dot names in the session's globals. partial is the part of word
// the candidates extend (after the last dot).
func (r *REPL) Complete(word string) (cands []string, partial string) {
	head, partial, dotted := cutLast(word, ".")
	if !dotted {
		partial = word
		seen := map[string]bool{}
		var names []string
		add := func(n string) {
			if !seen[n] && strings.HasPrefix(n, partial) {
				seen[n] = true
				names = append(names, n)
			}
		}
		for _, n := range r.Names() {
			add(n)
		}
		for n := range starlark.Universe {
			add(n)
		}
		for _, k := range keywords() {
			add(k)
		}
		sort.Strings(names)
		return names, partial
	}
	v, ok := r.resolveDotted(head)
	if !ok {
		return nil, partial
	}
	var names []string
	if ha, ok := v.(starlark.HasAttrs); ok {
		for _, n := range ha.AttrNames() {
			if strings.HasPrefix(n, partial) {
				names = append(names, n)
			}
		}
	}
	sort.Strings(names)
	return names, partial
}

// resolveDotted follows a.b.c through the globals and attributes; it reads
// attributes only, it calls nothing.
func (r *REPL) resolveDotted(path string) (starlark.Value, bool) {
	parts := strings.Split(path, ".")
	v, ok := r.global(parts[0])
	if !ok {
		v, ok = starlark.Universe[parts[0]]
	}
	if !ok {
		return nil, false
	}
	for _, p := range parts[1:] {
		ha, ok := v.(starlark.HasAttrs)
		if !ok {
			return nil, false
		}
		next, err := ha.Attr(p)
		if err != nil || next == nil {
			return nil, false
		}
		v = next
	}
	return v, true
}

// wordBefore returns the trailing run of identifier characters and dots.
func wordBefore(s string) string {
	i := len(s)
	for i > 0 {
		c := s[i-1]
		if c == '.' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			i--
			continue
		}
		break
	}
	return s[i:]
}

func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// keywords returns the Starlark keywords, offered at the start of a name.
func keywords() []string {
	var ks []string
	for t := syntax.AND; t <= syntax.WHILE; t++ {
		ks = append(ks, t.String())
	}
	return ks
}
