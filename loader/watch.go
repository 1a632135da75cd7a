package loader

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// watcherState is the running watcher, if any.
type watcherState struct {
	mode    WatchMode // what is actually running: notify, poll or off
	stop    chan struct{}
	wg      sync.WaitGroup
	notify  *fsnotify.Watcher
	closeMu sync.Once
}

// WatchMode returns how the loader is actually watching: WatchNotify,
// WatchPoll (asked for, or the WatchAuto fallback) or WatchOff.
func (l *Loader) WatchMode() WatchMode { return l.watch.mode }

// Close stops watching. Loaded modules keep serving.
func (l *Loader) Close() error {
	var err error
	l.watch.closeMu.Do(func() {
		if l.watch.stop == nil {
			return
		}
		close(l.watch.stop)
		l.watch.wg.Wait()
		if l.watch.notify != nil {
			err = l.watch.notify.Close()
		}
	})
	return err
}

func (l *Loader) startWatch() error {
	mode := l.cfg.watch
	l.watch.mode = WatchOff
	if mode == WatchOff {
		return nil
	}
	l.watch.stop = make(chan struct{})
	if mode == WatchAuto || mode == WatchNotify {
		w, err := l.newNotify()
		if err == nil {
			l.watch.mode = WatchNotify
			l.watch.notify = w
			l.watch.wg.Add(1)
			go l.notifyLoop(w)
			return nil
		}
		if mode == WatchNotify {
			return fmt.Errorf("loader: watching script directories: %w", err)
		}
		l.cfg.log.Warn("fsnotify cannot watch the script directories; polling instead", "error", err, "interval", l.cfg.pollInterval)
	}
	l.watch.mode = WatchPoll
	l.watch.wg.Add(1)
	go l.pollLoop(l.scan())
	return nil
}

func (l *Loader) newNotify() (*fsnotify.Watcher, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	for _, r := range l.roots {
		if err := addTree(w, r.dir); err != nil {
			w.Close()
			return nil, err
		}
	}
	return w, nil
}

// addTree watches dir and every directory below it (symlinked directories
// are not followed).
func addTree(w *fsnotify.Watcher, dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p != dir && errors.Is(err, fs.ErrNotExist) {
				return nil // removed while walking
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if err := w.Add(p); err != nil {
			return fmt.Errorf("watch %s: %w", p, err)
		}
		return nil
	})
}

// notifyLoop gathers fsnotify events and reloads once they have been quiet
// for the debounce period. Editors that save by writing a temporary file
// and renaming it over the original produce Create/Rename events on the
// directory; all of them count as a change of the path.
func (l *Loader) notifyLoop(w *fsnotify.Watcher) {
	defer l.watch.wg.Done()
	pending := map[string]bool{}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-l.watch.stop:
			return
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			if ev.Has(fsnotify.Create) {
				if st, err := os.Stat(ev.Name); err == nil && st.IsDir() {
					if err := addTree(w, ev.Name); err != nil {
						l.cfg.log.Warn("cannot watch new directory", "path", ev.Name, "error", err)
					}
				}
			}
			if ev.Has(fsnotify.Chmod) && !ev.Has(fsnotify.Write|fsnotify.Create|fsnotify.Remove|fsnotify.Rename) {
				continue
			}
			pending[ev.Name] = true
			timer.Reset(l.cfg.debounce)
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			l.cfg.log.Warn("file watcher error; rechecking every loaded module", "error", err)
			for _, n := range l.knownNames() {
				if m, ok := l.Lookup(n); ok {
					pending[m.Path] = true
				}
			}
			timer.Reset(l.cfg.debounce)
		case <-timer.C:
			paths := make([]string, 0, len(pending))
			for p := range pending {
				paths = append(paths, p)
			}
			clear(pending)
			sort.Strings(paths)
			l.reloadPaths(paths)
		}
	}
}

func (l *Loader) knownNames() []string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	names := make([]string, 0, len(l.mods)+len(l.failed))
	for n := range l.mods {
		names = append(names, n)
	}
	for n := range l.failed {
		names = append(names, n)
	}
	return names
}

// stamp is what polling compares to notice a change.
type stamp struct {
	mod  time.Time
	size int64
}

func (l *Loader) scan() map[string]stamp {
	seen := map[string]stamp{}
	for _, r := range l.roots {
		_ = filepath.WalkDir(r.dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || filepath.Ext(p) != ".star" {
				return nil
			}
			if info, err := os.Stat(p); err == nil {
				seen[p] = stamp{mod: info.ModTime(), size: info.Size()}
			}
			return nil
		})
	}
	return seen
}

// pollLoop rescans the script directories every poll interval and reloads
// the files whose size or modification time changed, appeared or vanished.
func (l *Loader) pollLoop(last map[string]stamp) {
	defer l.watch.wg.Done()
	tick := time.NewTicker(l.cfg.pollInterval)
	defer tick.Stop()
	for {
		select {
		case <-l.watch.stop:
			return
		case <-tick.C:
			now := l.scan()
			var changed []string
			for p, s := range now {
				if old, ok := last[p]; !ok || old != s {
					changed = append(changed, p)
				}
			}
			for p := range last {
				if _, ok := now[p]; !ok {
					changed = append(changed, p)
				}
			}
			last = now
			if len(changed) > 0 {
				sort.Strings(changed)
				l.reloadPaths(changed)
			}
		}
	}
}
