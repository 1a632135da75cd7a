package state

import (
	"context"
	"os"
	"testing"

	"github.com/fsstar/fsstar/esl"
	"github.com/fsstar/fsstar/esl/esltest"
	"go.starlark.net/starlark"
)

// BenchmarkIncr is the cost of one state.incr (store level) per backend:
// the hash one against the simulated switch over loopback ESL (four api
// round trips: lock, select, insert, unlock).
func BenchmarkIncr(b *testing.B) {
	ctx := context.Background()
	b.Run("memory", func(b *testing.B) {
		m := NewMemory(0, nil)
		for b.Loop() {
			if _, err := m.Incr(ctx, "k", 1, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hash-esltest", func(b *testing.B) {
		sw := esltest.NewSwitch(b)
		c := dialSwitch(b, sw)
		h := NewHash(func() *esl.Client { return c }, "", nil)
		for b.Loop() {
			if _, err := h.Incr(ctx, "k", 1, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hash-freeswitch", func(b *testing.B) {
		c := realSwitch(b)
		h := NewHash(func() *esl.Client { return c }, testRealm, nil)
		for b.Loop() {
			if _, err := h.Incr(ctx, "bench", 1, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("postgres", func(b *testing.B) {
		dsn := os.Getenv("FSSTAR_TEST_POSTGRES")
		if dsn == "" {
			b.Skip("FSSTAR_TEST_POSTGRES is not set")
		}
		p, err := OpenPostgres(dsn)
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close()
		for b.Loop() {
			if _, err := p.Incr(ctx, "bench", 1, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkModuleIncr is state.incr as a script calls it (argument
// unpacking, key check) over the in-process store.
func BenchmarkModuleIncr(b *testing.B) {
	incr := Module(NewMemory(0, nil), nil).Members["incr"]
	thread := &starlark.Thread{Name: "bench"}
	args := starlark.Tuple{starlark.String("calls:+15551234")}
	kwargs := []starlark.Tuple{{starlark.String("ttl"), starlark.MakeInt(3600)}}
	for b.Loop() {
		if _, err := starlark.Call(thread, incr, args, kwargs); err != nil {
			b.Fatal(err)
		}
	}
}
