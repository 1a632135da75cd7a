package engine_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fsstar/fsstar/engine"
	"github.com/fsstar/fsstar/loader"
	"go.starlark.net/starlark"
)

// TestCallsDuringReloads runs calls from many goroutines while the
// library they use is saved again and again; every call must see one
// consistent version (main and lib from the same save), and none fail.
func TestCallsDuringReloads(t *testing.T) {
	f := newFixture(t, map[string]string{
		"lib/v.star": `V = 0`,
		"ivr/main.star": `load("lib.v", "V")
SEEN = V
def handler(session, args):
    return "%d %d" % (SEEN, V)
`,
	}, nil)
	reloads := make(chan loader.Event, 100)
	defer f.ld.Subscribe(func(ev loader.Event) {
		if ev.Module == "ivr.main" {
			reloads <- ev
		}
	})()
	if _, err := f.ld.Get("ivr.main"); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var calls atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				v, err := f.e.Handler(bg, engine.CallInfo{UUID: fmt.Sprintf("g%d-%d", g, i), Module: "ivr.main"}, starlark.None, starlark.None)
				if err != nil {
					t.Error(err)
					return
				}
				s := string(v.(starlark.String))
				a, b, _ := strings.Cut(s, " ")
				if a != b {
					t.Errorf("mixed versions in one call: %s", s)
					return
				}
				calls.Add(1)
			}
		}()
	}
	for i := 1; i <= 5; i++ {
		// Save atomically (write a temporary file, rename it over), so no
		// reload can see a half-written file; a save may still cause more
		// than one reload batch when the machine is busy.
		tmp := filepath.Join(f.dir, "lib", "v.tmp")
		if err := os.WriteFile(tmp, []byte(fmt.Sprintf("V = %d", i)), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(f.dir, "lib", "v.star")); err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("%d %d", i, i)
		deadline := time.After(5 * time.Second)
		for serving := ""; serving != want; {
			select {
			case ev := <-reloads:
				if ev.Kind == loader.Failed {
					t.Fatalf("save %d: %+v", i, ev)
				}
			case <-deadline:
				t.Fatalf("save %d not serving within 5s", i)
			}
			m, _ := f.ld.Get("ivr.main")
			v, err := starlark.Call(&starlark.Thread{}, m.Globals["handler"], starlark.Tuple{starlark.None, starlark.None}, nil)
			if err != nil {
				t.Fatal(err)
			}
			serving = string(v.(starlark.String))
		}
	}
	stop.Store(true)
	wg.Wait()
	v, err := f.e.Handler(bg, engine.CallInfo{UUID: "last", Module: "ivr.main"}, starlark.None, starlark.None)
	if err != nil || v.String() != `"5 5"` {
		t.Errorf("after the last save: %v, %v", v, err)
	}
	if calls.Load() == 0 {
		t.Error("no call ran")
	}
	if st := f.e.Stats(); st.Loader.Reloads < 10 || st.InFlight != 0 {
		t.Errorf("stats = %+v", st)
	}
}
