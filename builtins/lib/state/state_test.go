package state

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fsstar/fsstar/esl"
	"github.com/fsstar/fsstar/esl/esltest"
	"github.com/google/uuid"
	"go.starlark.net/starlark"
)

// clock is a settable clock for the TTL tests.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *clock) now() time.Time            { return time.Unix(0, c.ns.Load()) }
func (c *clock) add(d time.Duration)       { c.ns.Add(int64(d)) }
func (c *clock) fn() func() time.Time      { return c.now }
func testCtx(t testing.TB) context.Context { return t.Context() }

// backend is a store under test and, when it has one, its clock (nil: the
// store keeps time itself, and TTL tests use real, generous expiries).
type backend struct {
	store Store
	clk   *clock
}

func dialSwitch(t testing.TB, sw *esltest.Switch) *esl.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := esl.Dial(ctx, sw.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func backends(t *testing.T) map[string]func(t *testing.T) backend {
	return map[string]func(t *testing.T) backend{
		"memory": func(t *testing.T) backend {
			clk := newClock()
			return backend{NewMemory(1000, clk.fn()), clk}
		},
		"hash": func(t *testing.T) backend {
			sw := esltest.NewSwitch(t)
			c := dialSwitch(t, sw)
			clk := newClock()
			return backend{NewHash(func() *esl.Client { return c }, "", clk.fn()), clk}
		},
		"hash-freeswitch": func(t *testing.T) backend {
			c := realSwitch(t)
			clk := newClock()
			return backend{NewHash(func() *esl.Client { return c }, testRealm, clk.fn()), clk}
		},
		"postgres": func(t *testing.T) backend {
			dsn := os.Getenv("FSSTAR_TEST_POSTGRES")
			if dsn == "" {
				t.Skip("FSSTAR_TEST_POSTGRES is not set: the Postgres backend is not tested (set it to a postgres:// DSN)")
			}
			p, err := OpenPostgres(dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { p.Close() })
			return backend{store: p}
		},
	}
}

// testRealm is the mod_hash realm of the tests on a real switch; its keys
// are deleted when each test ends.
const testRealm = "fsstartest"

// realSwitch connects to the real test FreeSWITCH of FSSTAR_TEST_FREESWITCH,
// or skips saying so.
func realSwitch(t testing.TB) *esl.Client {
	addr := os.Getenv("FSSTAR_TEST_FREESWITCH")
	if addr == "" {
		t.Skip("FSSTAR_TEST_FREESWITCH is not set: the hash backend is not tested on a real switch")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := esl.Dial(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		defer c.Close()
		out, _ := c.API(context.Background(), "hash_dump db "+testRealm)
		for _, line := range strings.Split(out, "\n") {
			rest, ok := strings.CutPrefix(strings.TrimSpace(line), "D/"+testRealm+"_")
			if k, _, found := strings.Cut(rest, "/"); ok && found {
				c.API(context.Background(), "hash delete/"+testRealm+"/"+k)
			}
		}
	})
	return c
}

// key returns a key unique to the test (a Postgres table outlives it).
func key(t testing.TB, name string) string {
	return name + ":" + strings.ReplaceAll(uuid.NewString(), "-", "")[:12]
}

func TestStores(t *testing.T) {
	for name, mk := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := testCtx(t)
			t.Run("set get delete", func(t *testing.T) {
				b := mk(t)
				k := key(t, "a")
				if _, ok, err := b.store.Get(ctx, k); ok || err != nil {
					t.Fatalf("get of a new key: ok %v err %v", ok, err)
				}
				if err := b.store.Set(ctx, k, `{"x": "a/b 'c' \\ d"}`, 0); err != nil {
					t.Fatal(err)
				}
				v, ok, err := b.store.Get(ctx, k)
				if err != nil || !ok || v != `{"x": "a/b 'c' \\ d"}` {
					t.Fatalf("get = %q %v %v", v, ok, err)
				}
				if ok, err := b.store.SetIfAbsent(ctx, k, `2`, 0); ok || err != nil {
					t.Fatalf("set_if_absent over a value = %v %v", ok, err)
				}
				if ok, err := b.store.Delete(ctx, k); !ok || err != nil {
					t.Fatalf("delete = %v %v", ok, err)
				}
				if ok, err := b.store.Delete(ctx, k); ok || err != nil {
					t.Fatalf("second delete = %v %v", ok, err)
				}
				if ok, err := b.store.SetIfAbsent(ctx, k, `2`, 0); !ok || err != nil {
					t.Fatalf("set_if_absent of an absent key = %v %v", ok, err)
				}
			})
			t.Run("incr", func(t *testing.T) {
				b := mk(t)
				k := key(t, "n")
				for i, want := range []int64{1, 3, -2} {
					by := []int64{1, 2, -5}[i]
					n, err := b.store.Incr(ctx, k, by, 0)
					if err != nil || n != want {
						t.Fatalf("incr %d = %d %v, want %d", by, n, err, want)
					}
				}
				s := key(t, "s")
				if err := b.store.Set(ctx, s, `"x"`, 0); err != nil {
					t.Fatal(err)
				}
				if _, err := b.store.Incr(ctx, s, 1, 0); !errors.Is(err, ErrNotInteger) {
					t.Fatalf("incr of a string: %v, want ErrNotInteger", err)
				}
			})
			t.Run("ttl", func(t *testing.T) {
				b := mk(t)
				if b.clk == nil {
					realTTL(t, ctx, b.store)
					return
				}
				k, n := key(t, "t"), key(t, "c")
				if err := b.store.Set(ctx, k, `1`, 10*time.Second); err != nil {
					t.Fatal(err)
				}
				if _, err := b.store.Incr(ctx, n, 1, 10*time.Second); err != nil {
					t.Fatal(err)
				}
				b.clk.add(5 * time.Second)
				// an existing counter keeps its expiry: the window does not slide
				if v, err := b.store.Incr(ctx, n, 1, 10*time.Second); err != nil || v != 2 {
					t.Fatalf("incr in the window = %d %v", v, err)
				}
				if _, ok, _ := b.store.Get(ctx, k); !ok {
					t.Fatal("expired before its ttl")
				}
				b.clk.add(5 * time.Second)
				if _, ok, _ := b.store.Get(ctx, k); ok {
					t.Fatal("still there after its ttl")
				}
				if v, err := b.store.Incr(ctx, n, 1, 10*time.Second); err != nil || v != 1 {
					t.Fatalf("incr after the window = %d %v, want 1 (a new window)", v, err)
				}
				if ok, err := b.store.SetIfAbsent(ctx, k, `3`, 0); !ok || err != nil {
					t.Fatalf("set_if_absent over an expired value = %v %v", ok, err)
				}
				if ok, _ := b.store.Delete(ctx, k); !ok {
					t.Fatal("delete of a live value said absent")
				}
			})
			t.Run("concurrent incr", func(t *testing.T) {
				b := mk(t)
				k := key(t, "cc")
				const workers, each = 32, 25
				var wg sync.WaitGroup
				errs := make(chan error, workers)
				seen := make([]atomic.Bool, workers*each+1)
				for range workers {
					wg.Go(func() {
						for range each {
							n, err := b.store.Incr(ctx, k, 1, time.Hour)
							if err != nil {
								errs <- err
								return
							}
							if n < 1 || n > workers*each || seen[n].Swap(true) {
								errs <- fmt.Errorf("incr returned %d twice or out of range", n)
								return
							}
						}
					})
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					t.Fatal(err)
				}
				v, ok, err := b.store.Get(ctx, k)
				if err != nil || !ok || v != fmt.Sprint(workers*each) {
					t.Fatalf("total = %q %v %v, want %d", v, ok, err, workers*each)
				}
			})
		})
	}
}

// realTTL checks expiry on a store that keeps its own clock (Postgres'
// now()): a short ttl ends (polled, with a generous deadline), a long one
// does not, and an expired counter starts again.
func realTTL(t *testing.T, ctx context.Context, s Store) {
	k, long := key(t, "rt"), key(t, "rl")
	if err := s.Set(ctx, long, `1`, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Incr(ctx, k, 5, 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, ok, err := s.Get(ctx, k); err != nil {
			t.Fatal(err)
		} else if !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a 300 ms ttl had not expired after 30 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n, err := s.Incr(ctx, k, 1, 0); err != nil || n != 1 {
		t.Fatalf("incr of an expired counter = %d %v, want 1", n, err)
	}
	if _, ok, err := s.Get(ctx, long); !ok || err != nil {
		t.Fatalf("a one-hour value is gone: %v %v", ok, err)
	}
}

// TestHashSharedBetweenInstances: two stores (two fsstar instances) over
// two connections to one switch see one state, and their increments add up.
func TestHashSharedBetweenInstances(t *testing.T) {
	sw := esltest.NewSwitch(t)
	a := NewHash(func() *esl.Client { return dialSwitch(t, sw) }, "", nil)
	cb := dialSwitch(t, sw)
	b := NewHash(func() *esl.Client { return cb }, "", nil)
	ca := dialSwitch(t, sw)
	a.client = func() *esl.Client { return ca }
	ctx := testCtx(t)
	var wg sync.WaitGroup
	for _, s := range []*Hash{a, b, a, b} {
		wg.Go(func() {
			for range 20 {
				if _, err := s.Incr(ctx, "shared", 1, 0); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if v, _, err := b.Get(ctx, "shared"); err != nil || v != "80" {
		t.Fatalf("shared counter = %q %v, want 80", v, err)
	}
	if raw := sw.HashValue(DefaultHashRealm, "shared"); !strings.HasPrefix(raw, "0.") {
		t.Fatalf("stored form %q, want 0.<base64>", raw)
	}
	if lock := sw.HashValue(DefaultHashRealm, "shared~lock"); lock != "" {
		t.Fatalf("a lock was left behind: %q", lock)
	}
}

// TestHashStaleLock: a lock left by a dead writer is taken over once its
// lease has ended, and not before.
func TestHashStaleLock(t *testing.T) {
	sw := esltest.NewSwitch(t)
	c := dialSwitch(t, sw)
	clk := newClock()
	h := NewHash(func() *esl.Client { return c }, "", clk.fn())
	ctx := testCtx(t)
	end := clk.now().Add(HashLockLease).UnixMilli()
	if _, err := c.API(ctx, fmt.Sprintf("hash insert/%s/k~lock/dead-1.%d", DefaultHashRealm, end)); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err := h.Incr(short, "k", 1, 0)
	cancel()
	if err == nil {
		t.Fatal("incr took a lock whose lease was running")
	}
	clk.add(HashLockLease)
	if n, err := h.Incr(ctx, "k", 1, 0); err != nil || n != 1 {
		t.Fatalf("incr after the lease = %d %v", n, err)
	}
}

func TestHashWithoutConnection(t *testing.T) {
	h := NewHash(func() *esl.Client { return nil }, "", nil)
	_, err := h.Incr(testCtx(t), "k", 1, 0)
	if err == nil || !strings.Contains(err.Error(), "no inbound ESL connection") {
		t.Fatalf("err = %v", err)
	}
}

func TestMemoryBound(t *testing.T) {
	clk := newClock()
	m := NewMemory(3, clk.fn())
	ctx := testCtx(t)
	for i := range 3 {
		if err := m.Set(ctx, fmt.Sprint("k", i), "1", time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Set(ctx, "k3", "1", 0); !errors.Is(err, ErrFull) || !strings.Contains(err.Error(), "state-max-entries") {
		t.Fatalf("fourth key: %v, want ErrFull naming state-max-entries", err)
	}
	if err := m.Set(ctx, "k0", "2", 0); err != nil {
		t.Fatalf("replacing a key of a full store: %v", err)
	}
	clk.add(2 * time.Second) // k1, k2 expire; the sweep makes room
	if err := m.Set(ctx, "k3", "1", 0); err != nil {
		t.Fatal(err)
	}
	if m.Len() != 2 {
		t.Fatalf("len = %d, want 2 (k0, k3)", m.Len())
	}
}

func TestModule(t *testing.T) {
	store := NewMemory(0, nil)
	mod := Module(store, nil)
	run := func(src string) (starlark.StringDict, error) {
		thread := &starlark.Thread{Name: "test"}
		return starlark.ExecFile(thread, "t.star", src, starlark.StringDict{"state": mod})
	}
	g, err := run(`
state.set("cfg", {"open": [9, 17], "name": "x"})
cfg = state.get("cfg")
missing = state.get("nope", "dflt")
n = [state.incr("calls:+15551234", ttl=86400) for _ in range(3)][-1]
m = state.incr("calls:+15551234", by=-1)
first = state.set_if_absent("once", True, ttl=0.5)
second = state.set_if_absent("once", True)
gone = state.delete("cfg")
after = state.get("cfg")
`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"cfg": `{"name": "x", "open": [9, 17]}`, "missing": `"dflt"`, "n": "3", "m": "2",
		"first": "True", "second": "False", "gone": "True", "after": "None",
	}
	for k, w := range want {
		if got := g[k].String(); got != w {
			t.Errorf("%s = %s, want %s", k, got, w)
		}
	}
	for _, bad := range []struct{ src, want string }{
		{`state.set("a b", 1)`, `state.set: key "a b": byte ' ' not allowed`},
		{`state.set("k/x", 1)`, `byte '/' not allowed`},
		{`state.set("", 1)`, `state.set: empty key`},
		{`state.set("k", 1, ttl=0)`, `state.set: ttl 0: want seconds > 0`},
		{`state.set("k", 1, ttl="1")`, `state.set: ttl: got string`},
		{`state.set("k", lambda: 1)`, `state.set: value: `},
		{`state.set("k", "x" * 20000)`, `state.set: value of 20002 bytes as JSON (at most 16384)`},
		{`state.set("s", "x"); state.incr("s")`, `state.incr "s": the value is not an integer`},
		{`state.incr("k", by=1 << 70)`, `does not fit in 64 bits`},
	} {
		_, err := run(bad.src)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: err %v, want it to contain %q", bad.src, err, bad.want)
		}
	}
}
