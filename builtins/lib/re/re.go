package re

import (
	"fmt"
	"regexp"
	"sync"

	"github.com/fsstar/fsstar/builtins/lib/internal/libutil"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// Defaults of Options.
const (
	DefaultMaxPattern = 4096    // bytes of pattern text
	DefaultMaxInput   = 1 << 20 // bytes of input (and of a sub result)
	DefaultCacheSize  = 256     // compiled patterns kept per module
)

// Options bound what one server's `re` module accepts and keeps.
type Options struct {
	// MaxPattern bounds the length of a pattern (default 4096 bytes).
	MaxPattern int
	// MaxInput bounds the string a pattern is applied to, and what sub
	// may build (default 1 MiB).
	MaxInput int
	// CacheSize is how many compiled patterns the module keeps, the most
	// recently used (default 256).
	CacheSize int
}

func (o Options) withDefaults() Options {
	if o.MaxPattern <= 0 {
		o.MaxPattern = DefaultMaxPattern
	}
	if o.MaxInput <= 0 {
		o.MaxInput = DefaultMaxInput
	}
	if o.CacheSize <= 0 {
		o.CacheSize = DefaultCacheSize
	}
	return o
}

// Module returns a frozen `re` module with its own pattern cache (see the
// package documentation). Build one per server: the cache is shared by
// every call that server runs and by nothing else.
func Module(opts Options) *starlarkstruct.Module {
	m := &module{opts: opts.withDefaults()}
	m.cache = newLRU(m.opts.CacheSize)
	mod := &starlarkstruct.Module{
		Name: "re",
		Members: starlark.StringDict{
			"compile":   libutil.Builtin("re.compile", m.compile),
			"match":     libutil.Builtin("re.match", m.patternFunc(matchMethod)),
			"fullmatch": libutil.Builtin("re.fullmatch", m.patternFunc(fullmatchMethod)),
			"search":    libutil.Builtin("re.search", m.patternFunc(searchMethod)),
			"findall":   libutil.Builtin("re.findall", m.patternFunc(findallMethod)),
			"sub":       libutil.Builtin("re.sub", m.patternFunc(subMethod)),
			"split":     libutil.Builtin("re.split", m.patternFunc(splitMethod)),
			"escape":    libutil.Builtin("re.escape", escape),
		},
	}
	mod.Freeze()
	return mod
}

// module is what the builtins of one `re` module share.
type module struct {
	opts  Options
	cache *lru
}

// compiled is one pattern, with the anchored forms match and fullmatch
// need, compiled on first use.
type compiled struct {
	src      string
	re       *regexp.Regexp
	names    []string // SubexpNames
	anchored func() *regexp.Regexp
	full     func() *regexp.Regexp
	opts     *Options
}

// get returns the compiled form of pattern, from the cache when it is there.
func (m *module) get(pattern string) (*compiled, error) {
	if len(pattern) > m.opts.MaxPattern {
		return nil, fmt.Errorf("pattern of %d bytes is longer than the limit of %d", len(pattern), m.opts.MaxPattern)
	}
	if c, ok := m.cache.get(pattern); ok {
		return c, nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("bad pattern %q: %w", pattern, err)
	}
	c := &compiled{
		src:   pattern,
		re:    re,
		names: re.SubexpNames(),
		opts:  &m.opts,
		// The pattern compiled alone, so wrapping it changes no meaning.
		anchored: sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\A(?:` + pattern + `)`) }),
		full:     sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\A(?:` + pattern + `)\z`) }),
	}
	m.cache.put(pattern, c)
	return c, nil
}

func (m *module) compile(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var pattern string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "pattern", &pattern); err != nil {
		return nil, err
	}
	c, err := m.get(pattern)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn.Name(), err)
	}
	return &Pattern{c: c}, nil
}

// patternFunc turns a Pattern method into the module function that takes
// the pattern text first.
func (m *module) patternFunc(method patternMethod) libutil.Func {
	return func(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if len(args) == 0 {
			return nil, fmt.Errorf("%s: missing argument for pattern", fn.Name())
		}
		pattern, ok := starlark.AsString(args[0])
		if !ok {
			return nil, fmt.Errorf("%s: for parameter pattern: got %s, want string", fn.Name(), args[0].Type())
		}
		c, err := m.get(pattern)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fn.Name(), err)
		}
		return method(thread, fn.Name(), c, args[1:], kwargs)
	}
}

func escape(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var s string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "string", &s); err != nil {
		return nil, err
	}
	return starlark.String(regexp.QuoteMeta(s)), nil
}

// input checks the size of the string a pattern is applied to.
func (c *compiled) input(name string, s string) error {
	if len(s) > c.opts.MaxInput {
		return fmt.Errorf("%s: input of %d bytes is longer than the limit of %d", name, len(s), c.opts.MaxInput)
	}
	return nil
}

// group returns the index of group g (a number or a name).
func (c *compiled) group(g starlark.Value) (int, error) {
	switch g := g.(type) {
	case starlark.Int:
		i, ok := g.Int64()
		if !ok || i < 0 || int(i) >= len(c.names) {
			return 0, fmt.Errorf("no such group %s (the pattern has %d)", g, len(c.names)-1)
		}
		return int(i), nil
	case starlark.String:
		if g != "" {
			if i := c.re.SubexpIndex(string(g)); i >= 0 {
				return i, nil
			}
		}
		return 0, fmt.Errorf("no such group %s", g)
	}
	return 0, fmt.Errorf("group must be an int or a string, not %s", g.Type())
}

// lru keeps the most recently used compiled patterns.
type lru struct {
	mu    sync.Mutex
	max   int
	tick  uint64
	items map[string]*lruItem
}

type lruItem struct {
	c    *compiled
	used uint64
}

func newLRU(max int) *lru { return &lru{max: max, items: make(map[string]*lruItem, max)} }

func (l *lru) get(key string) (*compiled, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	it, ok := l.items[key]
	if !ok {
		return nil, false
	}
	l.tick++
	it.used = l.tick
	return it.c, true
}

// put adds c; when the cache is full the least recently used eighth is
// dropped (a scan, paid once per max/8 new patterns).
func (l *lru) put(key string, c *compiled) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.items[key]; ok {
		return
	}
	if len(l.items) >= l.max {
		l.evict(max(1, l.max/8))
	}
	l.tick++
	l.items[key] = &lruItem{c: c, used: l.tick}
}

func (l *lru) evict(n int) {
	// The n oldest: find the n-th smallest use tick by repeated passes
	// over a small sorted window.
	oldest := make([]uint64, 0, n)
	for _, it := range l.items {
		if len(oldest) < n {
			oldest = insertSorted(oldest, it.used)
		} else if it.used < oldest[n-1] {
			oldest = insertSorted(oldest[:n-1], it.used)
		}
	}
	limit := oldest[len(oldest)-1]
	for k, it := range l.items {
		if it.used <= limit {
			delete(l.items, k)
		}
	}
}

func insertSorted(s []uint64, v uint64) []uint64 {
	i := len(s)
	for i > 0 && s[i-1] > v {
		i--
	}
	s = append(s, 0)
	copy(s[i+1:], s[i:])
	s[i] = v
	return s
}

// size reports how many patterns are cached (for tests).
func (l *lru) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.items)
}
