// Package scriptcheck validates a tree of fsstar modules without a switch:
// every module compiles, every load() names a module that exists and the
// names it imports, every entry point takes the arguments fsstar passes it,
// and every module's top-level code runs. `fsstar check` prints the result.
//
// Entry points are recognized by name, in any module: handler takes 2
// parameters (session, args), fsapi 4 (session, stream, env, args), runtime 1
// (args) and xml_fetch 1 (params); in a *_test.star file every test_*
// function takes 1 (t).
//
// Loading a module runs its top-level code, as the server does. No switch is
// connected, so builtins that need one fail, and that is reported: module
// top level should not talk to the switch anyway.
package scriptcheck

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"go.starlark.net/resolve"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/fsstar/fsstar/builtins"
	"github.com/fsstar/fsstar/loader"
	"github.com/fsstar/fsstar/membudget"
)

// Problem is one finding, at a position in a script.
type Problem struct {
	File      string
	Line, Col int32
	Msg       string
}

// String returns "file:line:col: message".
func (p Problem) String() string { return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Col, p.Msg) }

// Result is the outcome of Check.
type Result struct {
	// Modules is the number of .star files checked.
	Modules int
	// Problems are sorted by file, line, column and message, without
	// duplicates.
	Problems []Problem
}

// Options tune Check.
type Options struct {
	// Recursion allows recursive functions, as the server's recursion param.
	Recursion bool
	// MaxSteps bounds each module's top-level code (0:
	// loader.DefaultMaxSteps).
	MaxSteps uint64
	// LoadTimeout bounds each module's top-level code in wall time (0: 5s).
	LoadTimeout time.Duration
	// MaxMemoryBytes bounds what each module's top-level code holds, as
	// the server's max-call-memory-bytes (0: membudget.DefaultPerCall).
	MaxMemoryBytes int64
}

// Check validates every .star file under dirs (the script directories, in
// search order). The error is for directories that cannot be read; what is
// wrong with the scripts is in Result.Problems.
func Check(dirs []string, opts Options) (Result, error) {
	if opts.MaxSteps == 0 {
		opts.MaxSteps = loader.DefaultMaxSteps
	}
	if opts.LoadTimeout == 0 {
		opts.LoadTimeout = 5 * time.Second
	}
	if opts.MaxMemoryBytes == 0 {
		opts.MaxMemoryBytes = membudget.DefaultPerCall
	}
	files, err := findFiles(dirs)
	if err != nil {
		return Result{}, err
	}
	predeclared := builtins.Predeclared(builtins.Options{Roots: dirs})
	ld, err := loader.New(dirs,
		loader.WithPredeclared(predeclared),
		loader.WithWatch(loader.WatchOff),
		loader.WithRecursion(opts.Recursion),
		loader.WithMaxSteps(opts.MaxSteps),
		loader.WithLoadTimeout(opts.LoadTimeout),
		loader.WithMemoryBudget(membudget.NewPool(opts.MaxMemoryBytes, 0)),
		loader.WithLogger(hclog.NewNullLogger()),
		loader.WithThreadSetup(func(th *starlark.Thread) {
			// Builtins that block (msleep) end with the load timeout too.
			ctx, cancel := context.WithTimeoutCause(context.Background(), opts.LoadTimeout,
				fmt.Errorf("top-level code ran longer than %v", opts.LoadTimeout))
			time.AfterFunc(opts.LoadTimeout, cancel) // the context lives as long as its deadline
			builtins.SetCall(th, &builtins.Call{Context: ctx})
		}))
	if err != nil {
		return Result{}, err
	}
	defer ld.Close()
	c := &checker{ld: ld, dirs: dirs, predeclared: predeclared, opts: opts}
	for _, f := range files {
		c.file(f)
	}
	slices.SortFunc(c.problems, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col), cmp.Compare(a.Msg, b.Msg))
	})
	return Result{Modules: len(files), Problems: slices.Compact(c.problems)}, nil
}

// scriptFile is one .star file found under a script directory.
type scriptFile struct {
	path    string // as shown: the directory as given joined with rel
	module  string // dotted name
	badName error
}

// findFiles lists the .star files under dirs, sorted within each dir.
func findFiles(dirs []string) ([]scriptFile, error) {
	var out []scriptFile
	for _, dir := range dirs {
		st, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("script directory: %w", err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("script directory %s is not a directory", dir)
		}
		err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != dir && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(p, ".star") || !d.Type().IsRegular() {
				return nil
			}
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			name := strings.ReplaceAll(strings.TrimSuffix(filepath.ToSlash(rel), ".star"), "/", ".")
			out = append(out, scriptFile{path: p, module: name, badName: loader.ValidateName(name)})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

type checker struct {
	ld          *loader.Loader
	dirs        []string
	predeclared starlark.StringDict
	opts        Options
	problems    []Problem
}

func (c *checker) add(pos syntax.Position, format string, args ...any) {
	c.problems = append(c.problems, Problem{File: pos.Filename(), Line: pos.Line, Col: pos.Col, Msg: fmt.Sprintf(format, args...)})
}

// file checks one file: name, syntax, resolution, loads, then (when all
// that is fine) its top-level code and its entry points' arity.
func (c *checker) file(sf scriptFile) {
	start := syntax.MakePosition(&sf.path, 1, 1)
	if sf.badName != nil {
		c.add(start, "file name is not a module name: %v", sf.badName)
		return
	}
	src, err := os.ReadFile(sf.path)
	if err != nil {
		c.add(start, "%v", err)
		return
	}
	before := len(c.problems)
	fo := loader.DefaultFileOptions()
	fo.Recursion = c.opts.Recursion
	f, err := fo.Parse(sf.path, src, 0)
	if err != nil {
		var se syntax.Error
		if errors.As(err, &se) {
			c.add(se.Pos, "%s", se.Msg)
		} else {
			c.add(start, "%v", err)
		}
		return
	}
	if err := resolve.File(f, c.predeclared.Has, starlark.Universe.Has); err != nil {
		var list resolve.ErrorList
		if errors.As(err, &list) {
			for _, e := range list {
				c.add(e.Pos, "%s", e.Msg)
			}
		} else {
			c.add(start, "%v", err)
		}
	}
	c.loads(f)
	if len(c.problems) == before {
		c.run(sf)
	}
}

// loads checks every load statement: the module exists and loads, and has
// the names imported.
func (c *checker) loads(f *syntax.File) {
	for _, stmt := range f.Stmts {
		ls, ok := stmt.(*syntax.LoadStmt)
		if !ok {
			continue
		}
		arg := ls.ModuleName()
		pos := ls.Module.TokenPos
		name, err := loader.NormalizeLoad(arg)
		if err != nil {
			c.add(pos, "%v", err)
			continue
		}
		if _, err := c.ld.Find(name); err != nil {
			if errors.Is(err, loader.ErrNotFound) {
				c.add(pos, "load %q: no module %s (%s.star) in %s", arg, name,
					strings.ReplaceAll(name, ".", "/"), strings.Join(c.dirs, ", "))
			} else {
				c.add(pos, "load %q: %s", arg, strings.TrimPrefix(err.Error(), "loader: "))
			}
			continue
		}
		m, err := c.ld.Get(name)
		if err != nil {
			// The module's own problems are reported at its file.
			continue
		}
		for _, from := range ls.From {
			if _, ok := m.Globals[from.Name]; !ok {
				c.add(from.NamePos, "load %q: module %s has no global %q", arg, name, from.Name)
			}
		}
	}
}

// run loads the module as the server would, reporting a failure of its own
// top-level code (failures of modules it loads are reported at their files).
func (c *checker) run(sf scriptFile) {
	path, err := c.ld.Find(sf.module)
	if err != nil || !samePath(path, sf.path) {
		return // shadowed by a file of the same name in an earlier directory
	}
	m, err := c.ld.Get(sf.module)
	if err == nil {
		c.entryPoints(sf, m)
		return
	}
	start := syntax.MakePosition(&sf.path, 1, 1)
	var ee *starlark.EvalError
	if errors.As(err, &ee) {
		if len(ee.CallStack) == 0 {
			c.add(start, "%s", ee.Msg)
			return
		}
		top := ee.CallStack[0].Pos
		if !samePath(top.Filename(), sf.path) {
			return
		}
		pos := syntax.MakePosition(&sf.path, top.Line, top.Col)
		c.add(pos, "%s", ee.Msg)
		return
	}
	if _, ok := errors.AsType[*loader.CycleError](err); ok {
		c.add(start, "%v", err)
	}
}

func samePath(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}
