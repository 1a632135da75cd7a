package loader

import (
	"sort"
	"strings"
	"sync"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// progKey identifies a compiled program. The path is part of the key
// because positions in errors and backtraces name the file.
type progKey struct {
	path        string
	hash        string
	predeclared string // sorted, comma-joined names
	options     syntax.FileOptions
}

// progCache keeps compiled programs, a few versions per file, so that a
// save with unchanged or reverted content does not recompile.
type progCache struct {
	mu     sync.Mutex
	progs  map[progKey]*starlark.Program
	byPath map[string][]progKey // oldest first
}

const versionsPerFile = 4

func newProgCache() *progCache {
	return &progCache{progs: map[progKey]*starlark.Program{}, byPath: map[string][]progKey{}}
}

func (c *progCache) get(k progKey) *starlark.Program {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.progs[k]
}

func (c *progCache) put(k progKey, p *starlark.Program) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.progs[k]; ok {
		return
	}
	c.progs[k] = p
	keys := append(c.byPath[k.path], k)
	if len(keys) > versionsPerFile {
		delete(c.progs, keys[0])
		keys = keys[1:]
	}
	c.byPath[k.path] = keys
}

func (c *progCache) forget(path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range c.byPath[path] {
		delete(c.progs, k)
	}
	delete(c.byPath, path)
}

func predeclaredKey(d starlark.StringDict) string {
	names := make([]string, 0, len(d))
	for k := range d {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}
