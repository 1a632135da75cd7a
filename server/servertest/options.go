package servertest

import (
	"github.com/hashicorp/go-hclog"

	"github.com/fsstar/fsstar/esl/esltest"
	"github.com/fsstar/fsstar/server"
)

// Option configures New and NewServer.
type Option func(*options)

type options struct {
	edits     []func(*server.Config)
	srvOpts   []server.Option
	sw        *esltest.Switch
	swOpts    []esltest.Option
	dir       string
	logger    hclog.Logger
	unstarted bool
}

// WithConfig edits the server's configuration after the harness's defaults
// (see the package doc) and before the server is built. Several edits run
// in the order given; a nil edit changes nothing.
func WithConfig(edit func(*server.Config)) Option {
	return func(o *options) {
		if edit != nil {
			o.edits = append(o.edits, edit)
		}
	}
}

// WithServerOptions passes opts to server.New, after the harness's
// server.WithLogger.
func WithServerOptions(opts ...server.Option) Option {
	return func(o *options) { o.srvOpts = append(o.srvOpts, opts...) }
}

// WithSwitch serves sw instead of a switch of the harness's own: another
// fsstar instance on the same switch, or a switch the test prepared (routes,
// calls already parked) before the server starts. The caller closes sw.
func WithSwitch(sw *esltest.Switch) Option { return func(o *options) { o.sw = sw } }

// WithSwitchOptions configures the switch the harness starts
// (esltest.WithTimeScale, esltest.WithMaxChannels...). It cannot be combined
// with WithSwitch.
func WithSwitchOptions(opts ...esltest.Option) Option {
	return func(o *options) { o.swOpts = append(o.swOpts, opts...) }
}

// WithDir serves dir, writing the scripts into it, instead of a new
// temporary directory. The caller owns dir: Close leaves it.
func WithDir(dir string) Option { return func(o *options) { o.dir = dir } }

// WithLogger sends the server's log to l instead of the buffer Logs returns
// (which then stays empty).
func WithLogger(l hclog.Logger) Option { return func(o *options) { o.logger = l } }

// Unstarted builds the server (server.New) without starting it, like
// httptest.NewUnstartedServer: no listener is bound and the switch is not
// dialled, so Server.Handler serves in process (benchmarks, fuzzing). Call
// Server.Start to start it; Close drains it either way.
func Unstarted() Option { return func(o *options) { o.unstarted = true } }
