// Package repl is the read-eval-print loop behind `fsstar eval`: Starlark
// statements typed (or piped) one chunk at a time, run against the switch
// the builtins are connected to.
//
// As in go.starlark.net/repl, a line that parses as a complete statement runs
// at once; an unfinished one (a def, an if, an open bracket) keeps reading
// continuation lines ("... ") until the chunk is complete. An expression
// statement prints its value unless it is None, and the value is kept in _.
// An error prints the Starlark backtrace and the loop goes on. Ctrl-C while a
// chunk runs cancels that chunk only; Ctrl-C while typing drops the line;
// Ctrl-D (end of input) leaves.
//
// The globals are the predeclared builtins (freeswitch, json, time, math,
// files) plus what the session defines; load("ivr.main", "handler") finds
// modules in the script directories through a loader, and binds globally as
// in the Starlark REPL.
//
// What a statement makes lives for the whole session: a call originated with
// freeswitch.Session(dest) in one line is used in the next ones, and so are
// an EventConsumer or a Dbh handle. Close releases them (originated calls
// are hung up).
package repl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"sort"
	"sync"

	"github.com/hashicorp/go-hclog"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/fsstar/fsstar/builtins"
	"github.com/fsstar/fsstar/esl"
	"github.com/fsstar/fsstar/loader"
	"github.com/fsstar/fsstar/sqlpool"
)

// Options configure a REPL.
type Options struct {
	// ScriptDirs are the script directories load() searches, in order.
	// None: load() fails with an error saying so.
	ScriptDirs []string
	// Watch reloads modules whose files change (for an interactive
	// session); off, modules stay as first loaded.
	Watch bool
	// Client is the inbound ESL connection to the switch; nil runs with no
	// switch (builtins that need one fail).
	Client *esl.Client
	// Stdout receives printed values and print(); Stderr errors and
	// backtraces. Nil means discard.
	Stdout, Stderr io.Writer
	// Logger receives consoleLog lines and the loader's reports (default:
	// info level on Stderr).
	Logger hclog.Logger
	// MaxSteps bounds the steps of one chunk (0: no limit; Ctrl-C stops a
	// runaway loop).
	MaxSteps uint64
	// Recursion allows recursive functions.
	Recursion bool
}

// REPL holds one session's globals and the loader behind load().
type REPL struct {
	opts     Options
	ld       *loader.Loader
	db       *sqlpool.Pool
	ctx      *chunkContext
	stop     context.CancelFunc
	call     *builtins.Call // the session's: what chunks make lives as long
	fileOpts syntax.FileOptions

	mu      sync.Mutex // guards globals (completion reads them from readline's goroutine)
	globals starlark.StringDict
}

// New assembles a session: the builtins (connected to opts.Client), the
// loader over opts.ScriptDirs and fresh globals.
func New(opts Options) (*REPL, error) {
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	if opts.Logger == nil {
		opts.Logger = hclog.New(&hclog.LoggerOptions{Name: "fsstar", Level: hclog.Info, Output: opts.Stderr})
	}
	db := sqlpool.New()
	bopts := builtinsOptions(opts)
	bopts.DB = db
	predeclared := builtins.Predeclared(bopts)
	base, stop := context.WithCancel(context.Background())
	r := &REPL{opts: opts, db: db, stop: stop, ctx: newChunkContext(base),
		fileOpts: loader.DefaultFileOptions(), globals: maps.Clone(predeclared)}
	r.call = &builtins.Call{Context: r.ctx, Logger: opts.Logger.Named("script")}
	configureCall(r.call, opts)
	r.fileOpts.Recursion = opts.Recursion
	// A session redefines names as the user experiments, and load() binds
	// globally, as in the Starlark REPL.
	r.fileOpts.GlobalReassign = true
	r.fileOpts.LoadBindsGlobally = true
	if len(opts.ScriptDirs) > 0 {
		watch := loader.WatchOff
		if opts.Watch {
			watch = loader.WatchAuto
		}
		ld, err := loader.New(opts.ScriptDirs,
			loader.WithPredeclared(predeclared),
			loader.WithLogger(opts.Logger.Named("loader")),
			loader.WithRecursion(opts.Recursion),
			loader.WithWatch(watch),
			loader.WithThreadSetup(func(th *starlark.Thread) { builtins.SetCall(th, r.call) }))
		if err != nil {
			stop()
			db.Close()
			return nil, err
		}
		r.ld = ld
	}
	return r, nil
}

// Close releases what the session made (sessions it originated are hung
// up, consumers and database handles closed), stops the loader's watcher
// and closes the database pool.
func (r *REPL) Close() error {
	err := r.call.Close()
	r.stop()
	if r.ld != nil {
		err = errors.Join(err, r.ld.Close())
	}
	return errors.Join(err, r.db.Close())
}

// Names returns the session's global names, sorted.
func (r *REPL) Names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	names := make([]string, 0, len(r.globals))
	for n := range r.globals {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// global returns the value bound to a global name.
func (r *REPL) global(name string) (starlark.Value, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.globals[name]
	return v, ok
}

// thread makes a fresh thread for one chunk, on the session's Call, with
// ctx as the running chunk's context: cancelling it stops the chunk.
func (r *REPL) thread(ctx context.Context) (*starlark.Thread, func()) {
	th := &starlark.Thread{
		Name:  "repl",
		Print: func(_ *starlark.Thread, msg string) { fmt.Fprintln(r.opts.Stdout, msg) },
		Load:  r.load,
	}
	if r.opts.MaxSteps > 0 {
		th.SetMaxExecutionSteps(r.opts.MaxSteps)
	}
	leave := r.ctx.enter(ctx)
	builtins.SetCall(th, r.call)
	// As builtins.Attach, on the chunk's own context (the Call's stands
	// for it only while the chunk runs).
	untie := context.AfterFunc(ctx, func() { th.Cancel(context.Cause(ctx).Error()) })
	return th, func() {
		untie()
		leave()
	}
}

// load resolves load() through the loader.
func (r *REPL) load(_ *starlark.Thread, arg string) (starlark.StringDict, error) {
	name, err := loader.NormalizeLoad(arg)
	if err != nil {
		return nil, err
	}
	if r.ld == nil {
		return nil, fmt.Errorf("load %q: no script directory (give -script-directory or -config)", arg)
	}
	m, err := r.ld.Get(name)
	if err != nil {
		return nil, err
	}
	return m.Globals, nil
}

// Exec parses src (named name in positions and backtraces) as one chunk and
// runs it: a sole expression prints its value unless None, statements run
// for their effects. It is what `fsstar eval -c` and `fsstar eval file.star`
// do. Errors are returned, not printed; PrintError prints them.
func (r *REPL) Exec(ctx context.Context, name string, src []byte) error {
	f, err := r.fileOpts.Parse(name, src, 0)
	if err != nil {
		return err
	}
	return r.run(ctx, f)
}

// run evaluates one parsed chunk against the globals.
func (r *REPL) run(ctx context.Context, f *syntax.File) error {
	th, done := r.thread(ctx)
	defer done()
	r.mu.Lock()
	globals := r.globals
	r.mu.Unlock()
	if expr := soleExpr(f); expr != nil {
		v, err := starlark.EvalExprOptions(f.Options, th, expr, globals)
		if err != nil {
			return err
		}
		r.mu.Lock()
		globals["_"] = v
		r.mu.Unlock()
		if v != starlark.None {
			fmt.Fprintln(r.opts.Stdout, v)
		}
		return nil
	}
	// ExecREPLChunk writes the chunk's new globals into the map.
	r.mu.Lock()
	defer r.mu.Unlock()
	return starlark.ExecREPLChunk(f, th, globals)
}

func soleExpr(f *syntax.File) syntax.Expr {
	if len(f.Stmts) == 1 {
		if stmt, ok := f.Stmts[0].(*syntax.ExprStmt); ok {
			return stmt.X
		}
	}
	return nil
}

// PrintError writes err to w: the backtrace of a Starlark evaluation error,
// file:line:col and message for a syntax error, else the message.
func PrintError(w io.Writer, err error) {
	var ee *starlark.EvalError
	if errors.As(err, &ee) {
		fmt.Fprintln(w, ee.Backtrace())
		return
	}
	fmt.Fprintln(w, err)
}

// IsTerminal reports whether f is a terminal (then the loop prompts,
// edits lines and completes names).
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
