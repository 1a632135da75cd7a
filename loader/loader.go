package loader

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/fsstar/fsstar/membudget"
)

// Loader turns dotted module names into loaded, frozen modules, caches
// them, and keeps them current as files change. All methods are safe for
// concurrent use. Looking up a loaded module takes a read lock held only
// for a map lookup; building (compiling and running top-level code) is
// serialized under a separate lock that lookups never wait for.
type Loader struct {
	cfg        config
	roots      []root
	predeclKey string
	progs      *progCache

	mu     sync.RWMutex       // guards mods and failed; never held while Starlark runs
	mods   map[string]*Module // current good version of each loaded module
	failed map[string]failure // latest build failed (kept for rebuild on save)

	buildMu sync.Mutex // serializes builds; held while top-level code runs
	version uint64     // guarded by buildMu

	stats counters

	subMu   sync.Mutex
	subs    map[int]func(Event)
	nextSub int

	watch watcherState
}

// failure records a module whose latest build failed.
type failure struct {
	err  error
	path string
	deps []string // modules it tried to load, so their saves retry it
}

// New returns a loader for the given script directories (first match
// wins) and starts watching them unless WithWatch(WatchOff) is given.
// Close stops the watcher.
func New(dirs []string, opts ...Option) (*Loader, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	roots, err := newRoots(dirs)
	if err != nil {
		return nil, err
	}
	// Every module is compiled with the memory guards (membudget.Rewrite),
	// so they are among its predeclared names.
	guards := membudget.Predeclared()
	predeclared := make(starlark.StringDict, len(cfg.predeclared)+len(guards))
	maps.Copy(predeclared, cfg.predeclared)
	maps.Copy(predeclared, guards)
	cfg.predeclared = predeclared
	l := &Loader{
		cfg:        cfg,
		roots:      roots,
		predeclKey: predeclaredKey(cfg.predeclared),
		progs:      newProgCache(),
		mods:       map[string]*Module{},
		failed:     map[string]failure{},
		subs:       map[int]func(Event){},
	}
	if err := l.startWatch(); err != nil {
		return nil, err
	}
	return l, nil
}

// Lookup returns the serving version of a module if it is loaded, without
// loading it.
func (l *Loader) Lookup(name string) (*Module, bool) {
	l.mu.RLock()
	m, ok := l.mods[name]
	l.mu.RUnlock()
	return m, ok
}

// Get returns the serving version of a module, loading it (and what it
// loads) on first use. The result is an immutable snapshot; keep it for
// the duration of a call.
func (l *Loader) Get(name string) (*Module, error) {
	if m, ok := l.Lookup(name); ok {
		return m, nil
	}
	if err := ValidateName(name); err != nil {
		return nil, fmt.Errorf("loader: %w", err)
	}
	l.buildMu.Lock()
	defer l.buildMu.Unlock()
	if m, ok := l.Lookup(name); ok {
		return m, nil
	}
	b := newBatch(name, nil)
	m, err := l.build(b, name)
	l.publish(b)
	if err != nil {
		return nil, fmt.Errorf("loader: %w", err)
	}
	return m, nil
}

// Find returns the file a module name resolves to, applying every check
// Get applies, without loading it.
func (l *Loader) Find(name string) (string, error) {
	if err := ValidateName(name); err != nil {
		return "", fmt.Errorf("loader: %w", err)
	}
	p, err := locate(l.roots, name)
	if err != nil {
		return "", fmt.Errorf("loader: %w", err)
	}
	return p, nil
}

// Loaded returns the names of the loaded modules, sorted.
func (l *Loader) Loaded() []string {
	l.mu.RLock()
	names := make([]string, 0, len(l.mods))
	for n := range l.mods {
		names = append(names, n)
	}
	l.mu.RUnlock()
	sort.Strings(names)
	return names
}

// batch is one build: a first load or a reload of changed modules.
type batch struct {
	cause     string
	stale     map[string]bool // rebuild even if loaded
	built     map[string]*Module
	unchanged map[string]bool
	failed    map[string]failure
	removed   map[string]string // name -> old path
	stack     []string
}

func newBatch(cause string, stale map[string]bool) *batch {
	return &batch{
		cause:     cause,
		stale:     stale,
		built:     map[string]*Module{},
		unchanged: map[string]bool{},
		failed:    map[string]failure{},
		removed:   map[string]string{},
	}
}

// build returns the module for name within batch b: built in this batch,
// already serving and not stale, or built now. It reports load cycles as a
// *CycleError with the chain of names.
func (l *Loader) build(b *batch, name string) (*Module, error) {
	if m, ok := b.built[name]; ok {
		return m, nil
	}
	if f, ok := b.failed[name]; ok {
		return nil, f.err
	}
	if _, ok := b.removed[name]; ok {
		return nil, fmt.Errorf("module %q: %w (file removed)", name, ErrNotFound)
	}
	if !b.stale[name] {
		if m, ok := l.Lookup(name); ok {
			return m, nil
		}
	}
	for i, s := range b.stack {
		if s == name {
			chain := append(append([]string{}, b.stack[i:]...), name)
			return nil, &CycleError{Chain: chain}
		}
	}
	b.stack = append(b.stack, name)
	defer func() { b.stack = b.stack[:len(b.stack)-1] }()

	m, f := l.compile(b, name)
	switch {
	case f.err == nil:
		b.built[name] = m
		return m, nil
	case errors.Is(f.err, ErrNotFound) && f.path == "":
		if old, ok := l.Lookup(name); ok {
			b.removed[name] = old.Path
			return nil, f.err
		}
	}
	b.failed[name] = f
	return nil, f.err
}

// compile reads, compiles (or reuses the compiled program), loads the
// dependencies and runs the top-level code of one module.
func (l *Loader) compile(b *batch, name string) (*Module, failure) {
	path, err := locate(l.roots, name)
	if err != nil {
		return nil, failure{err: err}
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, failure{err: fmt.Errorf("module %q: %w", name, err), path: path}
	}
	sum := sha256.Sum256(src)
	hash := hex.EncodeToString(sum[:])
	key := progKey{path: path, hash: hash, predeclared: l.predeclKey, options: l.cfg.fileOptions}
	prog := l.progs.get(key)
	if prog == nil {
		prog, err = compileSource(l.cfg.fileOptions, path, src, l.cfg.predeclared.Has)
		if err != nil {
			return nil, failure{err: err, path: path}
		}
		l.progs.put(key, prog)
		l.stats.compiles.Add(1)
	} else {
		l.stats.cacheHits.Add(1)
	}

	depNames := make([]string, prog.NumLoads())
	deps := make([]*Module, prog.NumLoads())
	byName := make(map[string]*Module, prog.NumLoads())
	for i := range deps {
		arg, pos := prog.Load(i)
		dn, err := NormalizeLoad(arg)
		if err != nil {
			return nil, failure{err: fmt.Errorf("%s: %w", pos, err), path: path, deps: depNames[:i]}
		}
		depNames[i] = dn
		dm, err := l.build(b, dn)
		if err != nil {
			return nil, failure{err: fmt.Errorf("%s: load %q: %w", pos, arg, err), path: path, deps: depNames[:i+1]}
		}
		deps[i] = dm
		byName[dn] = dm
	}

	if cur, ok := l.Lookup(name); ok && cur.Hash == hash && cur.Path == path && sameModules(cur.Deps, deps) {
		b.unchanged[name] = true
		return cur, failure{}
	}

	globals, err := l.exec(name, prog, byName)
	if err != nil {
		return nil, failure{err: err, path: path, deps: depNames}
	}
	l.version++
	return &Module{
		Name:     name,
		Path:     path,
		Globals:  globals,
		Hash:     hash,
		Version:  l.version,
		LoadedAt: time.Now(),
		Deps:     deps,
	}, failure{}
}

// exec runs a module's top-level code once on its own thread with a step
// limit and a deadline, then freezes the globals.
func (l *Loader) exec(name string, prog *starlark.Program, deps map[string]*Module) (starlark.StringDict, error) {
	log := l.cfg.log.With("module", name)
	thread := &starlark.Thread{
		Name:  "load " + name,
		Print: func(_ *starlark.Thread, msg string) { log.Info(msg) },
		Load: func(_ *starlark.Thread, arg string) (starlark.StringDict, error) {
			dn, err := NormalizeLoad(arg)
			if err != nil {
				return nil, err
			}
			if m, ok := deps[dn]; ok {
				return m.Globals, nil
			}
			return nil, fmt.Errorf("module %q was not resolved before execution", dn)
		},
	}
	meter := l.cfg.memory.Attach(thread, l.cfg.maxSteps, nil)
	defer meter.Release()
	if l.cfg.threadSetup != nil {
		l.cfg.threadSetup(thread)
	}
	if l.cfg.loadTimeout > 0 {
		t := time.AfterFunc(l.cfg.loadTimeout, func() { thread.Cancel("module load timed out") })
		defer t.Stop()
	}
	globals, err := prog.Init(thread, l.cfg.predeclared)
	if be := meter.Err(); be != nil && err != nil {
		err = fmt.Errorf("%w (%w)", err, be)
	}
	if err != nil {
		var ee *starlark.EvalError
		if errors.As(err, &ee) && len(ee.CallStack) > 0 {
			return nil, fmt.Errorf("%s: %w", ee.CallStack[len(ee.CallStack)-1].Pos, err)
		}
		return nil, err
	}
	globals.Freeze()
	return globals, nil
}

func sameModules(a, b []*Module) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// publish makes the outcome of a batch visible atomically: new versions
// serve, failures are recorded (last good versions keep serving), removed
// modules are unloaded.
func (l *Loader) publish(b *batch) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for n, m := range b.built {
		if !b.unchanged[n] {
			l.stats.loads.Add(1)
		}
		l.mods[n] = m
		delete(l.failed, n)
	}
	for n, f := range b.failed {
		l.stats.failures.Add(1)
		l.failed[n] = f
	}
	for n, p := range b.removed {
		delete(l.mods, n)
		delete(l.failed, n)
		l.progs.forget(p)
	}
}

// counters are the loader's running totals.
type counters struct {
	loads, reloads, failures, removals, compiles, cacheHits atomic.Uint64
}

// Stats is a snapshot of the loader's counters.
type Stats struct {
	// Modules is the number of loaded modules.
	Modules int
	// Loads counts module versions built (first loads and reloads).
	Loads uint64
	// Reloads counts modules rebuilt because a file changed.
	Reloads uint64
	// Failures counts failed builds (first loads and reloads).
	Failures uint64
	// Removals counts modules unloaded because their file went away.
	Removals uint64
	// Compiles counts parse+resolve+compile runs; CacheHits counts builds
	// that reused a compiled program.
	Compiles, CacheHits uint64
}

// Stats returns a snapshot of the loader's counters.
func (l *Loader) Stats() Stats {
	l.mu.RLock()
	n := len(l.mods)
	l.mu.RUnlock()
	return Stats{
		Modules:   n,
		Loads:     l.stats.loads.Load(),
		Reloads:   l.stats.reloads.Load(),
		Failures:  l.stats.failures.Load(),
		Removals:  l.stats.removals.Load(),
		Compiles:  l.stats.compiles.Load(),
		CacheHits: l.stats.cacheHits.Load(),
	}
}

// compileSource parses, rewrites with the memory guards
// (membudget.Rewrite), resolves and compiles one module's source: the
// program must run with membudget.Predeclared among its predeclared
// values, which New adds.
func compileSource(opts syntax.FileOptions, path string, src []byte, isPredeclared func(string) bool) (*starlark.Program, error) {
	f, err := opts.Parse(path, src, 0)
	if err != nil {
		return nil, err
	}
	membudget.Rewrite(f)
	guards := membudget.Predeclared()
	return starlark.FileProgram(f, func(name string) bool { return guards.Has(name) || isPredeclared(name) })
}
