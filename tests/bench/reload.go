package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/fsstar/fsstar/loader"
)

// reloadRun is save → serving latency of a module: from the write of the
// file to the loader's Reloaded event (the new version serves new calls),
// with fsnotify and the loader's default debounce.
type reloadRun struct {
	Lat    []time.Duration
	Missed int // saves with no Reloaded event within 2 s
	Watch  string
	Err    string
}

// measureReload saves a module n times (each save a new constant) and
// times each until it serves.
func measureReload(n int) reloadRun {
	var r reloadRun
	dir, err := os.MkdirTemp("", "fsstar-bench-reload-")
	if err != nil {
		return reloadRun{Err: err.Error()}
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "ivr", "main.star")
	src := func(i int) string {
		return fmt.Sprintf("VERSION = %d\ndef handler(session, args):\n    return VERSION\n", i)
	}
	if err := writeFile(path, src(0)); err != nil {
		return reloadRun{Err: err.Error()}
	}
	// a library loaded by the module, so the reload path includes a load()
	if err := writeFile(filepath.Join(dir, "lib", "util.star"), "def fmt(x):\n    return str(x)\n"); err != nil {
		return reloadRun{Err: err.Error()}
	}
	ld, err := loader.New([]string{dir})
	if err != nil {
		return reloadRun{Err: err.Error()}
	}
	defer ld.Close()
	r.Watch = fmt.Sprint(ld.WatchMode())
	if _, err := ld.Get("ivr.main"); err != nil {
		return reloadRun{Err: err.Error()}
	}
	events := make(chan loader.Event, 16)
	cancel := ld.Subscribe(func(e loader.Event) {
		if e.Module == "ivr.main" {
			select {
			case events <- e:
			default:
			}
		}
	})
	defer cancel()
	time.Sleep(100 * time.Millisecond) // the watcher is up
	for i := 1; i <= n; i++ {
		t0 := time.Now()
		if err := os.WriteFile(path, []byte(src(i)), 0o644); err != nil {
			r.Err = err.Error()
			break
		}
		timeout := time.After(2 * time.Second)
	wait:
		for {
			select {
			case e := <-events:
				if e.Kind == loader.Reloaded {
					r.Lat = append(r.Lat, time.Since(t0))
					break wait
				}
				if e.Kind == loader.Failed && r.Err == "" {
					r.Err = fmt.Sprint(e.Err)
				}
			case <-timeout:
				r.Missed++
				break wait
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return r
}
