package builtins

import (
	starhttp "github.com/fsstar/fsstar/builtins/lib/http"
	scriptmetrics "github.com/fsstar/fsstar/builtins/lib/metrics"
	"github.com/fsstar/fsstar/builtins/lib/state"
	"github.com/fsstar/fsstar/esl"
	"github.com/fsstar/fsstar/sqlpool"
	"github.com/hashicorp/go-hclog"
	"go.starlark.net/lib/json"
	"go.starlark.net/lib/math"
	"go.starlark.net/lib/time"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// Defaults for the size limits of Options.
const (
	DefaultMaxStreamBytes = 1 << 20 // 1 MiB of Stream output
	DefaultMaxFileBytes   = 4 << 20 // 4 MiB per files.read / files.csv
	DefaultMaxRows        = 10000   // rows per Dbh.query_rows
)

// Options configure the builtins of one server. They are fixed when the
// modules are built; per-call state travels in a Call instead.
type Options struct {
	// Roots are the script directories, in search order. files.* look paths
	// up in them (first match wins) and a relative sqlite:// path is relative
	// to the first one.
	Roots []string

	// DB pools the database handles of freeswitch.Dbh. It is owned by the
	// caller (the server closes it at shutdown). Without one, Dbh fails with
	// an error saying so.
	DB *sqlpool.Pool

	// Logger is used by consoleLog when the thread has no Call or the Call
	// no Logger. Nil means discard.
	Logger hclog.Logger

	// Client is the server-wide inbound ESL connection. freeswitch.Session,
	// EventConsumer, bridge, the global variables and API() without a call
	// connection use it (a Call's own Client wins). Nil: those fail with an
	// error saying no inbound ESL connection is configured.
	Client *esl.Client

	// MaxStreamBytes bounds what one Stream may hold (default 1 MiB).
	MaxStreamBytes int
	// MaxFileBytes bounds the size of a file files.read / files.csv may read
	// (default 4 MiB).
	MaxFileBytes int64
	// MaxRows bounds the rows Dbh.query_rows returns (default 10000).
	MaxRows int

	// State is the backend of the state module (state-backend); the server
	// makes it and closes it. Nil: an in-process store of its own per
	// Predeclared call.
	State state.Store
	// Email configures freeswitch.email (the SMTP server); without a
	// server, email fails with an error naming smtp-server.
	Email EmailOptions

	// HTTP is the client behind the http module (allowlist, timeouts, size
	// cap); the server makes it from its config and closes it. Nil: the
	// module allows no host.
	HTTP *starhttp.Client
	// Metrics holds the metrics scripts declare (the metrics module); the
	// server owns it and exports it on /metrics. Nil: a private registry
	// nobody exports (fsstar check, eval, tests).
	Metrics *scriptmetrics.Registry
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	if o.MaxStreamBytes <= 0 {
		o.MaxStreamBytes = DefaultMaxStreamBytes
	}
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = DefaultMaxFileBytes
	}
	if o.MaxRows <= 0 {
		o.MaxRows = DefaultMaxRows
	}
	o.Roots = append([]string(nil), o.Roots...)
	return o
}

// env is what the builtins of one Module share: the options, read-only.
type env struct {
	opts Options
}

// logger returns the logger of the thread's call, or the server's.
func (e *env) logger(c *Call) hclog.Logger {
	if c != nil && c.Logger != nil {
		return c.Logger
	}
	return e.opts.Logger
}

// Module returns the frozen `freeswitch` module: consoleLog, consoleCleanLog,
// msleep, Event, Stream, DTMF, Dbh, API, EventConsumer, Session, bridge,
// getGlobalVariable, setGlobalVariable, running, and the argument helpers
// escapeVars, quoteArg and dialVar (see the package documentation).
func Module(opts Options) *starlarkstruct.Module {
	e := &env{opts: opts.withDefaults()}
	m := &starlarkstruct.Module{
		Name: "freeswitch",
		Members: starlark.StringDict{
			"consoleLog":      newBuiltin("freeswitch.consoleLog", e.consoleLog),
			"consoleCleanLog": newBuiltin("freeswitch.consoleCleanLog", e.consoleCleanLog),
			"consoleLog2":     newBuiltin("freeswitch.consoleLog2", e.consoleLog2),
			// The snake_case names SWIG exports as well.
			"console_log":       newBuiltin("freeswitch.console_log", e.consoleLog),
			"console_log2":      newBuiltin("freeswitch.console_log2", e.consoleLog2),
			"console_clean_log": newBuiltin("freeswitch.console_clean_log", e.consoleCleanLog),
			"msleep":            newBuiltin("freeswitch.msleep", msleep),
			"Event":             newBuiltin("freeswitch.Event", e.newEvent),
			"Stream":            newBuiltin("freeswitch.Stream", e.newStream),
			"DTMF":              newBuiltin("freeswitch.DTMF", newDTMF),
			"Dbh":               newBuiltin("freeswitch.Dbh", e.newDbh),
			"API":               newBuiltin("freeswitch.API", e.newAPI),
			"getGlobalVariable": newBuiltin("freeswitch.getGlobalVariable", e.getGlobalVariable),
			"setGlobalVariable": newBuiltin("freeswitch.setGlobalVariable", e.setGlobalVariable),
			"running":           newBuiltin("freeswitch.running", running),
			"Session":           newBuiltin("freeswitch.Session", e.newSession),
			"bridge":            newBuiltin("freeswitch.bridge", e.bridge),
			"EventConsumer":     newBuiltin("freeswitch.EventConsumer", e.newConsumer),
			"escapeVars":        newBuiltin("freeswitch.escapeVars", escapeVars),
			"quoteArg":          newBuiltin("freeswitch.quoteArg", quoteArg),
			"dialVar":           newBuiltin("freeswitch.dialVar", dialVar),
			"dialVars":          newBuiltin("freeswitch.dialVars", dialVars),
			"appArgs":           newBuiltin("freeswitch.appArgs", appArgs),
			"apiArgs":           newBuiltin("freeswitch.apiArgs", apiArgs),
			"IVRMenu":           newBuiltin("freeswitch.IVRMenu", newIVRMenu),
			"JSON":              newBuiltin("freeswitch.JSON", e.newJSON),
			"email":             newBuiltin("freeswitch.email", e.email),
		},
	}
	m.Freeze()
	return m
}

// FilesModule returns the frozen, read-only `files` module rooted at
// opts.Roots (see the package documentation).
func FilesModule(opts Options) *starlarkstruct.Module {
	e := &env{opts: opts.withDefaults()}
	m := &starlarkstruct.Module{
		Name: "files",
		Members: starlark.StringDict{
			"read":   newBuiltin("files.read", e.filesRead),
			"csv":    newBuiltin("files.csv", e.filesCSV),
			"exists": newBuiltin("files.exists", e.filesExists),
		},
	}
	m.Freeze()
	return m
}

// Predeclared returns the names every fsstar module sees without load():
// freeswitch, files, json (go.starlark.net/lib/json), time (lib/time) and
// math (lib/math). The values are frozen and may be shared by every call.
func Predeclared(opts Options) starlark.StringDict {
	return starlark.StringDict{
		"freeswitch": Module(opts),
		"files":      FilesModule(opts),
		"json":       json.Module,
		"time":       time.Module,
		"math":       math.Module,
		"state":      stateModule(opts),
		"http":       httpModule(opts),
		"metrics":    metricsModule(opts),
		"re":         reModule(opts),
		"crypto":     cryptoModule(opts),
		"encoding":   encodingModule(opts),
		"calendar":   calendarModule(opts),
	}
}

func (e *env) newEvent(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	v, err := newEvent(thread, fn, args, kwargs)
	if ev, ok := v.(*Event); ok {
		ev.client = e.opts.Client
	}
	return v, err
}
