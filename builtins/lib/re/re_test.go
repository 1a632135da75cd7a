package re

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"go.starlark.net/starlark"
)

// eval runs src with `re` predeclared and returns the repr of `result`.
func eval(t testing.TB, m starlark.Value, src string) (string, error) {
	t.Helper()
	thread := &starlark.Thread{Name: "test"}
	g, err := starlark.ExecFile(thread, "t.star", src, starlark.StringDict{"re": m})
	if err != nil {
		if ee, ok := err.(*starlark.EvalError); ok {
			return "", fmt.Errorf("%s", ee.Msg)
		}
		return "", err
	}
	return g["result"].String(), nil
}

func TestRe(t *testing.T) {
	m := Module(Options{})
	for _, tc := range []struct{ src, want string }{
		// match, fullmatch, search
		{`result = re.match(r"\d+", "123abc").group()`, `"123"`},
		{`result = re.match(r"\d+", "abc123")`, `None`},
		{`result = re.search(r"\d+", "abc123def").span()`, `(3, 6)`},
		{`result = re.fullmatch(r"\d+", "123abc")`, `None`},
		{`result = re.fullmatch(r"\d+|\d+abc", "123abc").group()`, `"123abc"`},
		{`result = re.match(r"a|ab", "ab").group()`, `"a"`}, // leftmost-first, as Python
		{`result = str(re.search(r"b+", "abbc"))`, `"<re.match span=(1, 3), match=\"bb\">"`},
		// groups
		{`result = re.match(r"^\+?(1)?(\d{3})(\d{7})$", "+33123456789")`, `None`},
		{`result = re.match(r"^\+?(1)?(\d{3})(\d{7})$", "2125551234").groups()`, `(None, "212", "5551234")`},
		{`result = re.match(r"^\+?(1)?(\d{3})(\d{7})$", "2125551234").groups("")`, `("", "212", "5551234")`},
		{`result = re.match(r"(?P<cc>\d)(\d+)", "44207").group(1, 2, "cc")`, `("4", "4207", "4")`},
		{`result = re.match(r"(?P<cc>\d)(?<rest>\d+)?", "4").groupdict()`, `{"cc": "4", "rest": None}`},
		{`result = re.match(r"(?P<cc>\d)(?<rest>\d+)?", "4").groupdict("-")`, `{"cc": "4", "rest": "-"}`},
		{`result = re.search(r"(a)(x)?", "ba").start(2)`, `-1`},
		{`result = re.search(r"(a)(b)", "cab").end("2" if False else 2)`, `3`},
		{`result = re.search(r"((a)b)", "ab").lastindex`, `1`},
		{`result = re.search(r"(a)(b)", "ab").lastindex`, `2`},
		{`result = re.search(r"ab", "ab").lastindex`, `None`},
		{`m = re.search(r"b", "abc")
result = (m.string, m.pattern)`, `("abc", "b")`},
		// findall
		{`result = re.findall(r"\d+", "a1b22c333")`, `["1", "22", "333"]`},
		{`result = re.findall(r"(\d)\d*", "a1b22c333")`, `["1", "2", "3"]`},
		{`result = re.findall(r"(\w)=(\d)?", "a=1 b= c=3")`, `[("a", "1"), ("b", ""), ("c", "3")]`},
		{`result = re.findall(r"x", "abc")`, `[]`},
		// sub
		{`result = re.sub(r"^\+?1?(\d{10})$", r"+1\1", "2125551234")`, `"+12125551234"`},
		{`result = re.sub(r"(\d)", r"<\g<1>>", "a1b2")`, `"a<1>b<2>"`},
		{`result = re.sub(r"(?P<d>\d)", r"[\g<d>]", "a1b2", count=1)`, `"a[1]b2"`},
		{`result = re.sub(r"(a)|b", r"[\1]", "ab")`, `"[a][]"`},
		{`result = re.sub(r"x", r"\\$1\n", "x")`, `"\\$1\n"`},
		{`result = re.sub(r"x", r"\.", "x")`, `"\\."`},
		{`result = re.sub(r"x*", "-", "abxd")`, `"-a-b-d-"`},
		{`result = re.sub(r"\d+", lambda m: str(int(m.group()) * 2), "a1b21")`, `"a2b42"`},
		{`result = re.sub(r"(\d)(\d)(\d)(\d)(\d)(\d)(\d)(\d)(\d)(\d)(\d)", r"\11\1", "12345678901")`, `"11"`},
		// split
		{`result = re.split(r"[,;]\s*", "a, b;c")`, `["a", "b", "c"]`},
		{`result = re.split(r"(,)|;", "a,b;c")`, `["a", ",", "b", None, "c"]`},
		{`result = re.split(r",", "a,b,c", maxsplit=1)`, `["a", "b,c"]`},
		{`result = re.split(r"x*", "ab")`, `["", "a", "b", ""]`},
		// compile, escape
		{`p = re.compile(r"^(\d{4})$")
result = (p.match("1234").group(1), p.search("x"), p.pattern, p.groups, str(p), type(p))`, `("1234", None, "^(\\d{4})$", 1, "re.compile(\"^(\\\\d{4})$\")", "re.pattern")`},
		{`result = re.escape("1+1=2?")`, `"1\\+1=2\\?"`},
		{`result = re.match(re.escape("a.b"), "axb")`, `None`},
		{`result = re.search(r"(?i)HELLO", "say hello").group()`, `"hello"`},
		{`result = {re.compile("a"): 1}[re.compile("a")]`, `1`},
	} {
		got, err := eval(t, m, tc.src)
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
		} else if got != tc.want {
			t.Errorf("%s\n got %s\nwant %s", tc.src, got, tc.want)
		}
	}
}

func TestReErrors(t *testing.T) {
	m := Module(Options{MaxPattern: 64, MaxInput: 1000})
	for _, tc := range []struct{ src, want string }{
		{`re.search(r"a(", "a")`, "re.search: bad pattern \"a(\": error parsing regexp: missing closing ): `a(`"},
		{`re.search(r"(a)\1", "aa")`, "re.search: bad pattern \"(a)\\\\1\": error parsing regexp: invalid escape sequence: `\\1`"},
		{`re.search(r"a(?=b)", "ab")`, "re.search: bad pattern"},
		{`re.search(r"(?<!a)b", "ab")`, "re.search: bad pattern"},
		{`re.compile("a" * 65)`, "re.compile: pattern of 65 bytes is longer than the limit of 64"},
		{`re.search("a", "b" * 1001)`, "re.search: input of 1001 bytes is longer than the limit of 1000"},
		{`re.compile("a").findall("b" * 1001)`, "re.pattern.findall: input of 1001 bytes is longer than the limit of 1000"},
		{`re.sub("a", "b" * 11, "a" * 100)`, "re.sub: the result is longer than the limit of 1000 bytes"},
		{`re.sub("(a)", r"\2", "a")`, `re.sub: invalid group reference \2 in the replacement (the pattern has 1 groups)`},
		{`re.sub("(a)", r"\g<x>", "a")`, `re.sub: unknown group name \g<x> in the replacement`},
		{`re.sub("(a)", r"\g<1", "a")`, `re.sub: missing \g<...> group name`},
		{`re.sub("(a)", r"\q", "a")`, `re.sub: bad escape \q`},
		{`re.sub("(a)", "x\\", "a")`, `re.sub: bad escape (end of the replacement)`},
		{`re.sub("a", 1, "a")`, `re.sub: repl must be a string or a function, not int`},
		{`re.sub("a", lambda m: 1, "a")`, `re.sub: the repl function returned int, want a string`},
		{`re.sub("a", "b", "a", count=-1)`, `re.sub: count must be 0`},
		{`re.split("a", "b", maxsplit=-1)`, `re.split: maxsplit must be 0`},
		{`re.search("a")`, `re.search: missing argument for string`},
		{`re.search()`, `re.search: missing argument for pattern`},
		{`re.search(1, "a")`, `re.search: for parameter pattern: got int, want string`},
		{`re.search("a", b"a")`, `re.search: for parameter string: got bytes, want string`},
		{`re.search("(a)", "a").group(2)`, `re.match.group: no such group 2 (the pattern has 1)`},
		{`re.search("(a)", "a").group("x")`, `re.match.group: no such group "x"`},
		{`re.search("(a)", "a").span(1.0)`, `re.match.span: group must be an int or a string, not float`},
		{`{re.search("a", "a"): 1}`, `unhashable type: re.match`},
	} {
		_, err := eval(t, m, tc.src)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.src, err, tc.want)
		}
	}
}

// TestReCache: a pattern is compiled once, the cache stays within its
// bound, and concurrent calls share it safely.
func TestReCache(t *testing.T) {
	m := &module{opts: Options{CacheSize: 16}.withDefaults()}
	m.cache = newLRU(16)
	a, err := m.get("a+")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := m.get("a+"); b != a {
		t.Error("the same pattern was compiled twice")
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				if _, err := m.get(fmt.Sprintf("p%d_%d", g, i%40)); err != nil {
					t.Error(err)
				}
				m.get("a+")
			}
		})
	}
	wg.Wait()
	if n := m.cache.size(); n > 16 || n == 0 {
		t.Errorf("cache holds %d patterns, want 1..16", n)
	}
	// The pattern used all along survived the evictions.
	if b, _ := m.cache.get("a+"); b != a {
		t.Error("the most used pattern was evicted")
	}
	if _, err := m.get("("); err == nil {
		t.Error("a bad pattern compiled")
	}
	if _, ok := m.cache.get("("); ok {
		t.Error("a bad pattern was cached")
	}
}

// TestReFrozen: the module is frozen and its values immutable.
func TestReFrozen(t *testing.T) {
	_, err := eval(t, Module(Options{}), `re.search = None`)
	if err == nil || !strings.Contains(err.Error(), "can't assign") {
		t.Errorf("assigning to re.search: %v", err)
	}
}

// BenchmarkSearchRouting is re.search on a number-routing pattern, from
// Starlark, with the pattern written inline (the cache's path).
func BenchmarkSearchRouting(b *testing.B) {
	m := Module(Options{})
	search, _ := m.Attr("search")
	thread := &starlark.Thread{}
	args := starlark.Tuple{starlark.String(`^\+?1?(\d{3})(\d{3})(\d{4})$`), starlark.String("+12125551234")}
	b.ReportAllocs()
	for b.Loop() {
		v, err := starlark.Call(thread, search, args, nil)
		if err != nil || v == starlark.None {
			b.Fatal(v, err)
		}
	}
}
