package builtins

import (
	"context"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	starhttp "github.com/fsstar/fsstar/builtins/lib/http"
	scriptmetrics "github.com/fsstar/fsstar/builtins/lib/metrics"
)

// httpModule is the http module over opts.HTTP, its requests bound to the
// calling thread's call (context and logger).
func httpModule(opts Options) *starlarkstruct.Module {
	e := &env{opts: opts.withDefaults()}
	return starhttp.Module(opts.HTTP, starhttp.Env{
		Context: func(t *starlark.Thread) context.Context { return CallOf(t).ctx() },
		Logger:  func(t *starlark.Thread) hclog.Logger { return e.logger(CallOf(t)) },
	})
}

// metricsModule is the metrics module over opts.Metrics, or over a private
// registry without one.
func metricsModule(opts Options) *starlarkstruct.Module {
	e := &env{opts: opts.withDefaults()}
	r := opts.Metrics
	if r == nil {
		var err error
		r, err = scriptmetrics.NewRegistry(prometheus.NewRegistry(), scriptmetrics.Limits{}, opts.Roots)
		if err != nil {
			panic("builtins: a fresh metrics registry: " + err.Error()) // a fresh registry has no names
		}
	}
	return r.Module(func(t *starlark.Thread) hclog.Logger { return e.logger(CallOf(t)) })
}
