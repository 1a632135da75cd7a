package loader

import (
	"errors"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"go.starlark.net/starlark"
)

// Reload rebuilds the named modules and every loaded module that depends
// on them, directly or not, as the watcher does after a save. Names that
// are neither loaded nor failed are ignored (they load on first use). It
// returns one Event per module considered, after the outcome is serving.
func (l *Loader) Reload(names ...string) []Event {
	l.buildMu.Lock()
	defer l.buildMu.Unlock()
	return l.reloadLocked(names)
}

// reloadPaths maps changed file or directory paths to module names and
// reloads them.
func (l *Loader) reloadPaths(paths []string) []Event {
	l.buildMu.Lock()
	defer l.buildMu.Unlock()
	set := map[string]bool{}
	l.mu.RLock()
	for _, p := range paths {
		if name, ok := moduleOf(l.roots, p); ok {
			set[name] = true
			continue
		}
		if filepath.Ext(p) != "" {
			continue // an editor's temporary or backup file
		}
		// A directory changed: reconsider every known module below it,
		// e.g. a removed or renamed directory.
		prefix := p + string(filepath.Separator)
		for n, m := range l.mods {
			if strings.HasPrefix(m.Path, prefix) {
				set[n] = true
			}
		}
		for n, f := range l.failed {
			if f.path == "" || strings.HasPrefix(f.path, prefix) {
				set[n] = true
			}
		}
	}
	l.mu.RUnlock()
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	return l.reloadLocked(names)
}

func (l *Loader) reloadLocked(changed []string) []Event {
	// Reverse dependencies of every known module, including the loads a
	// failed module attempted, so that fixing a dependency retries it.
	l.mu.RLock()
	rdeps := map[string][]string{}
	known := map[string]bool{}
	for n, m := range l.mods {
		known[n] = true
		for _, d := range m.Deps {
			rdeps[d.Name] = append(rdeps[d.Name], n)
		}
	}
	for n, f := range l.failed {
		known[n] = true
		for _, d := range f.deps {
			rdeps[d] = append(rdeps[d], n)
		}
	}
	l.mu.RUnlock()

	stale := map[string]bool{}
	cause := map[string]string{}
	var visit func(n, c string)
	visit = func(n, c string) {
		if stale[n] {
			return
		}
		stale[n] = true
		cause[n] = c
		for _, r := range rdeps[n] {
			visit(r, c)
		}
	}
	for _, c := range changed {
		if known[c] || len(rdeps[c]) > 0 {
			visit(c, c)
		}
	}
	if len(stale) == 0 {
		return nil
	}
	order := make([]string, 0, len(stale))
	for n := range stale {
		order = append(order, n)
	}
	sort.Strings(order)

	prev := map[string]*Module{}
	for _, n := range order {
		if m, ok := l.Lookup(n); ok {
			prev[n] = m
		}
	}
	b := newBatch(strings.Join(changed, ","), stale)
	for _, n := range order {
		_, _ = l.build(b, n)
	}
	l.publish(b)

	now := time.Now()
	evs := make([]Event, 0, len(order))
	for _, n := range order {
		ev := Event{Module: n, Cause: cause[n], At: now}
		switch {
		case b.built[n] != nil && b.unchanged[n]:
			ev.Kind, ev.Path, ev.Version = Unchanged, b.built[n].Path, b.built[n].Version
		case b.built[n] != nil:
			ev.Kind, ev.Path, ev.Version = Reloaded, b.built[n].Path, b.built[n].Version
			if prev[n] != nil {
				l.stats.reloads.Add(1)
			}
		case b.removed[n] != "":
			ev.Kind, ev.Path = Removed, b.removed[n]
			l.stats.removals.Add(1)
		default:
			f := b.failed[n]
			ev.Kind, ev.Path, ev.Err = Failed, f.path, f.err
			if prev[n] != nil {
				ev.KeptVersion = prev[n].Version
			}
		}
		l.logEvent(ev)
		evs = append(evs, ev)
	}
	l.emit(evs)
	return evs
}

func (l *Loader) logEvent(ev Event) {
	log := l.cfg.log.With("module", ev.Module, "path", ev.Path, "cause", ev.Cause)
	switch ev.Kind {
	case Reloaded:
		log.Info("module reloaded", "version", ev.Version)
	case Unchanged:
		log.Debug("module saved unchanged", "version", ev.Version)
	case Removed:
		log.Info("module file removed; module unloaded")
	case Failed:
		args := []any{"error", ev.Err.Error()}
		var ee *starlark.EvalError
		if errors.As(ev.Err, &ee) {
			args = append(args, "backtrace", ee.Backtrace())
		}
		if ev.KeptVersion > 0 {
			log.Error("module failed to load; last good version keeps serving", append(args, "kept_version", ev.KeptVersion)...)
		} else {
			log.Error("module failed to load; no good version to serve", args...)
		}
	}
}
