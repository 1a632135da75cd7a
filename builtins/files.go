package builtins

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"go.starlark.net/starlark"
)

// checkScriptPath refuses what a files.* path may not be: empty, absolute,
// with a ".." element, a backslash or a NUL.
func checkScriptPath(path string) error {
	switch {
	case path == "":
		return errors.New("empty path")
	case strings.HasPrefix(path, "/"):
		return fmt.Errorf("%q: absolute paths are not allowed; give a path relative to the script directories", path)
	case strings.ContainsAny(path, "\\\x00"):
		return fmt.Errorf("%q: backslashes and NUL are not allowed in a path", path)
	}
	for _, elem := range strings.Split(path, "/") {
		if elem == ".." {
			return fmt.Errorf("%q: \"..\" is not allowed in a path", path)
		}
	}
	return nil
}

// errNotFound is returned by openScriptFile when no root has the path.
var errNotFound = errors.New("not found in the script directories")

// openScriptFile opens path in the first script root that has it. A path
// that leaves its root, through a symlink too, is refused (os.Root).
func (e *env) openScriptFile(path string) (*os.File, error) {
	if err := checkScriptPath(path); err != nil {
		return nil, err
	}
	if len(e.opts.Roots) == 0 {
		return nil, errors.New("no script directories are configured")
	}
	for _, dir := range e.opts.Roots {
		f, err := openInRoot(dir, path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%q: %w", path, cleanRootError(err))
		}
		return f, nil
	}
	return nil, fmt.Errorf("%q: %w", path, errNotFound)
}

// errLeavesRoot is the error of a files.* path that leads out of its
// script directory through a symlink (os.Root refuses to follow it).
var errLeavesRoot = errors.New("leaves the script directory (through a symlink?)")

// openInRoot opens path within dir; a path that leaves dir fails with
// errLeavesRoot.
func openInRoot(dir, path string) (*os.File, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	f, err := r.Open(path)
	if err != nil && leavesRoot(dir, path) {
		return nil, errLeavesRoot
	}
	return f, err
}

// statInRoot stats path within dir, as openInRoot opens it.
func statInRoot(dir, path string) (fs.FileInfo, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	fi, err := r.Stat(path)
	if err != nil && leavesRoot(dir, path) {
		return nil, errLeavesRoot
	}
	return fi, err
}

// leavesRoot reports whether path (relative, without "..", as
// checkScriptPath lets through) leads out of dir when its symlinks are
// followed the way os.Root follows them: an absolute link target, or more
// ".." than the depth reached, leaves. os.Root's own escape error is not
// exported, so a refused open asks this to tell an escape from the rest.
func leavesRoot(dir, path string) bool {
	todo := strings.Split(path, "/")
	var at []string // the components resolved so far, inside dir
	for links := 0; len(todo) > 0; {
		elem := todo[0]
		todo = todo[1:]
		switch elem {
		case "", ".":
			continue
		case "..":
			if len(at) == 0 {
				return true
			}
			at = at[:len(at)-1]
			continue
		}
		target, err := os.Readlink(filepath.Join(dir, filepath.Join(at...), elem))
		if err != nil { // not a symlink (or not there): a plain component
			at = append(at, elem)
			continue
		}
		if links++; links > 255 {
			return false // a loop, not an escape: os.Root says ELOOP
		}
		if filepath.IsAbs(target) {
			return true
		}
		todo = append(strings.Split(filepath.ToSlash(target), "/"), todo...)
	}
	return false
}

// cleanRootError keeps the reason of an os.Root error and drops the server's
// own directory names from it.
func cleanRootError(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	return err
}

// readScriptFile reads path (see openScriptFile) within the size limit.
func (e *env) readScriptFile(path string) ([]byte, error) {
	f, err := e.openScriptFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%q: %w", path, cleanRootError(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%q: not a regular file", path)
	}
	max := e.opts.MaxFileBytes
	if fi.Size() > max {
		return nil, fmt.Errorf("%q: %d bytes is more than the limit of %d", path, fi.Size(), max)
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("%q: %w", path, cleanRootError(err))
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%q: more than the limit of %d bytes", path, max)
	}
	return b, nil
}

func (e *env) filesRead(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var path string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "path", &path); err != nil {
		return nil, err
	}
	b, err := e.readScriptFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn.Name(), err)
	}
	return starlark.String(b), nil
}

func (e *env) filesExists(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var path string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "path", &path); err != nil {
		return nil, err
	}
	if err := checkScriptPath(path); err != nil {
		return nil, fmt.Errorf("%s: %w", fn.Name(), err)
	}
	for _, dir := range e.opts.Roots {
		_, err := statInRoot(dir, path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %q: %w", fn.Name(), path, cleanRootError(err))
		}
		return starlark.True, nil
	}
	return starlark.False, nil
}

func (e *env) filesCSV(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var path string
	header := true
	delimiter := ","
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "path", &path, "header?", &header, "delimiter?", &delimiter); err != nil {
		return nil, err
	}
	comma, size := utf8.DecodeRuneInString(delimiter)
	if size != len(delimiter) || comma == utf8.RuneError || comma == '"' || comma == '\r' || comma == '\n' {
		return nil, fmt.Errorf("%s: delimiter must be one character other than a quote or a line break, got %q", fn.Name(), delimiter)
	}
	b, err := e.readScriptFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn.Name(), err)
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // a spreadsheet's UTF-8 BOM
	r := csv.NewReader(bytes.NewReader(b))
	r.Comma = comma
	records, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %q: %w", fn.Name(), path, err)
	}
	if !header {
		rows := make([]starlark.Value, len(records))
		for i, rec := range records {
			rows[i] = starlark.NewList(stringValues(rec))
		}
		return starlark.NewList(rows), nil
	}
	if len(records) == 0 {
		return starlark.NewList(nil), nil
	}
	names := records[0]
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if seen[n] {
			return nil, fmt.Errorf("%s: %q: the header names column %q twice", fn.Name(), path, n)
		}
		seen[n] = true
	}
	rows := make([]starlark.Value, 0, len(records)-1)
	for _, rec := range records[1:] {
		d := starlark.NewDict(len(names))
		for i, n := range names {
			if err := d.SetKey(starlark.String(n), starlark.String(rec[i])); err != nil {
				return nil, fmt.Errorf("%s: %v", fn.Name(), err)
			}
		}
		rows = append(rows, d)
	}
	return starlark.NewList(rows), nil
}

func stringValues(ss []string) []starlark.Value {
	out := make([]starlark.Value, len(ss))
	for i, s := range ss {
		out[i] = starlark.String(s)
	}
	return out
}
