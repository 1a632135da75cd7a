package loader

import (
	"time"

	"github.com/fsstar/fsstar/membudget"
	"github.com/hashicorp/go-hclog"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// WatchMode selects how the loader notices changed files.
type WatchMode int

const (
	// WatchAuto uses fsnotify and falls back to polling when fsnotify
	// cannot watch (no inotify, too many watches, unsupported file system).
	WatchAuto WatchMode = iota
	// WatchNotify uses fsnotify only; New fails if it cannot watch.
	WatchNotify
	// WatchPoll polls the script directories every PollInterval.
	WatchPoll
	// WatchOff disables reload: modules stay as first loaded.
	WatchOff
)

// String returns the mode's config name: auto, notify, poll or off.
func (m WatchMode) String() string {
	switch m {
	case WatchAuto:
		return "auto"
	case WatchNotify:
		return "notify"
	case WatchPoll:
		return "poll"
	case WatchOff:
		return "off"
	}
	return "unknown"
}

// Option configures a Loader.
type Option func(*config)

type config struct {
	predeclared  starlark.StringDict
	fileOptions  syntax.FileOptions
	log          hclog.Logger
	maxSteps     uint64
	loadTimeout  time.Duration
	watch        WatchMode
	debounce     time.Duration
	pollInterval time.Duration
	threadSetup  func(*starlark.Thread)
	memory       *membudget.Pool
}

func defaultConfig() config {
	return config{
		fileOptions:  DefaultFileOptions(),
		log:          hclog.NewNullLogger(),
		maxSteps:     DefaultMaxSteps,
		loadTimeout:  10 * time.Second,
		watch:        WatchAuto,
		debounce:     30 * time.Millisecond,
		pollInterval: time.Second,
	}
}

// DefaultFileOptions is the Starlark dialect fsstar compiles modules with;
// the package documentation explains each choice.
func DefaultFileOptions() syntax.FileOptions {
	return syntax.FileOptions{
		Set:             true,
		While:           true,
		TopLevelControl: true,
		GlobalReassign:  false,
		Recursion:       false,
	}
}

// WithPredeclared sets the names every module sees without load() (the
// freeswitch, json, time, math and files values from builtins/). The
// dictionary is not copied and must not change afterwards.
func WithPredeclared(d starlark.StringDict) Option {
	return func(c *config) { c.predeclared = d }
}

// WithFileOptions sets the Starlark dialect (see DefaultFileOptions).
func WithFileOptions(o syntax.FileOptions) Option {
	return func(c *config) { c.fileOptions = o }
}

// WithRecursion allows or forbids recursive functions (off by default, as
// in the Starlark spec).
func WithRecursion(on bool) Option {
	return func(c *config) { c.fileOptions.Recursion = on }
}

// WithLogger sets the logger for load-time print(), compile errors and
// reload reports.
func WithLogger(l hclog.Logger) Option {
	return func(c *config) { c.log = l }
}

// DefaultMaxSteps is fsstar's Starlark step limit unless configured
// otherwise (the server's max-steps param): the budget of a module's
// top-level code here, of one call in engine, of one module in
// scriptcheck. Enough for heavy call logic; a runaway loop stops within a
// fraction of a second.
const DefaultMaxSteps = 10_000_000

// WithMaxSteps bounds the Starlark steps that a module's top-level code
// may take when it is loaded (0 means no limit). The default is
// DefaultMaxSteps.
func WithMaxSteps(n uint64) Option {
	return func(c *config) { c.maxSteps = n }
}

// WithLoadTimeout bounds the wall time of a module's top-level code.
func WithLoadTimeout(d time.Duration) Option {
	return func(c *config) { c.loadTimeout = d }
}

// WithWatch selects how changed files are noticed (default WatchAuto).
func WithWatch(m WatchMode) Option {
	return func(c *config) { c.watch = m }
}

// WithDebounce sets how long the loader waits after the last file event
// before it reloads; editors that save in several steps cause one reload.
func WithDebounce(d time.Duration) Option {
	return func(c *config) { c.debounce = d }
}

// WithPollInterval sets the polling period for WatchPoll and for the
// WatchAuto fallback.
func WithPollInterval(d time.Duration) Option {
	return func(c *config) { c.pollInterval = d }
}

// WithThreadSetup registers a hook run on every load-time thread before a
// module's top-level code executes, so builtins can attach thread locals.
func WithThreadSetup(f func(*starlark.Thread)) Option {
	return func(c *config) { c.threadSetup = f }
}

// WithMemoryBudget meters the memory that a module's top-level code holds
// while it runs against pool's per-call budget (and, while it runs, the
// process budget). Nil, the default, sets no budget.
func WithMemoryBudget(pool *membudget.Pool) Option {
	return func(c *config) { c.memory = pool }
}
