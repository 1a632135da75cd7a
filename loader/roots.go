package loader

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrNotFound is returned (wrapped) when no script directory holds a
// module.
var ErrNotFound = errors.New("module not found")

// root is one script directory: as configured and with symlinks resolved.
type root struct {
	dir  string // absolute, cleaned, as configured
	real string // filepath.EvalSymlinks(dir)
}

func newRoots(dirs []string) ([]root, error) {
	if len(dirs) == 0 {
		return nil, errors.New("loader: no script directory given")
	}
	roots := make([]root, 0, len(dirs))
	for _, d := range dirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, fmt.Errorf("loader: script directory %q: %w", d, err)
		}
		real, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return nil, fmt.Errorf("loader: script directory %q: %w", d, err)
		}
		st, err := os.Stat(real)
		if err != nil {
			return nil, fmt.Errorf("loader: script directory %q: %w", d, err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("loader: script directory %q is not a directory", d)
		}
		roots = append(roots, root{dir: abs, real: real})
	}
	return roots, nil
}

// locate finds the file of a validated module name: the first root that
// has it wins. A file whose real path (after symlinks) leaves its root is
// refused rather than skipped, so a bad link never silently falls through
// to another root.
func locate(roots []root, name string) (string, error) {
	rel := filepath.FromSlash(relPath(name))
	for _, r := range roots {
		p := filepath.Join(r.dir, rel)
		if _, err := os.Lstat(p); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return "", fmt.Errorf("module %q: %w", name, err)
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			return "", fmt.Errorf("module %q: %s: %w", name, p, err)
		}
		if !within(r.real, real) {
			return "", fmt.Errorf("module %q: %s resolves to %s, outside script directory %s: refused", name, p, real, r.dir)
		}
		st, err := os.Stat(real)
		if err != nil {
			return "", fmt.Errorf("module %q: %w", name, err)
		}
		if !st.Mode().IsRegular() {
			return "", fmt.Errorf("module %q: %s is not a regular file", name, p)
		}
		return p, nil
	}
	return "", fmt.Errorf("module %q (%s) in %s: %w", name, filepath.ToSlash(rel), rootList(roots), ErrNotFound)
}

// within reports whether path p is dir or below it.
func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	if err != nil {
		return false
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel))
}

// moduleOf maps a file path seen by the watcher to the module name it
// would be found under, if it lies in a root.
func moduleOf(roots []root, p string) (string, bool) {
	for _, r := range roots {
		if !within(r.dir, p) {
			continue
		}
		rel, err := filepath.Rel(r.dir, p)
		if err != nil {
			continue
		}
		if name, ok := nameFromRel(filepath.ToSlash(rel)); ok {
			return name, true
		}
	}
	return "", false
}

func rootList(roots []root) string {
	s := make([]string, len(roots))
	for i, r := range roots {
		s[i] = r.dir
	}
	return strings.Join(s, ", ")
}
