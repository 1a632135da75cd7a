package engine_test

import (
	"testing"
	"time"

	"github.com/fsstar/fsstar/engine"
	"github.com/fsstar/fsstar/internal/testutil"
	"github.com/fsstar/fsstar/loader"
	"github.com/hashicorp/go-hclog"
	"go.starlark.net/starlark"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fixture is an engine over a temp script directory, logging to a buffer.
type fixture struct {
	e   *engine.Engine
	ld  *loader.Loader
	dir string
	log *testutil.SyncBuffer
}

// gate is a builtin that blocks until the channel in the thread local
// "gate" is closed, so tests can hold a call in flight.
var gate = starlark.NewBuiltin("gate", func(thread *starlark.Thread, _ *starlark.Builtin, _ starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
	if ch, ok := thread.Local("gate").(chan struct{}); ok {
		if started, ok := thread.Local("started").(chan struct{}); ok {
			close(started)
		}
		<-ch
	}
	return starlark.None, nil
})

func newFixture(t testing.TB, files map[string]string, lopts []loader.Option, eopts ...engine.Option) *fixture {
	t.Helper()
	dir := t.TempDir()
	testutil.WriteFiles(t, dir, files)
	buf := &testutil.SyncBuffer{}
	log := hclog.New(&hclog.LoggerOptions{Output: buf, Level: hclog.Debug})
	lopts = append([]loader.Option{
		loader.WithLogger(log),
		loader.WithPredeclared(starlark.StringDict{"gate": gate}),
		loader.WithDebounce(10 * time.Millisecond),
	}, lopts...)
	ld, err := loader.New([]string{dir}, lopts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ld.Close() })
	e := engine.New(ld, append([]engine.Option{engine.WithLogger(log)}, eopts...)...)
	return &fixture{e: e, ld: ld, dir: dir, log: buf}
}
