package server

import (
	"fmt"

	starhttp "github.com/fsstar/fsstar/builtins/lib/http"
	scriptmetrics "github.com/fsstar/fsstar/builtins/lib/metrics"

	"github.com/fsstar/fsstar/builtins"
)

// configureBatteries gives the builtins the server's HTTP client (its
// allowlist, timeouts and size cap from the config) and the registry of
// script metrics, exported with the server's own on /metrics. The client's
// idle connections are closed by closeAll.
func (s *Server) configureBatteries(o *builtins.Options) error {
	cfg := s.cfg
	allow, err := starhttp.ParseAllowList(cfg.HTTPAllowHosts...)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if cfg.HTTPTimeout > 0 && cfg.HTTPMaxTimeout > 0 && cfg.HTTPTimeout > cfg.HTTPMaxTimeout {
		return fmt.Errorf("server: %s %s is above %s %s", starhttp.ParamTimeout, cfg.HTTPTimeout, starhttp.ParamMaxTimeout, cfg.HTTPMaxTimeout)
	}
	o.HTTP = starhttp.NewClient(starhttp.Config{
		AllowHosts:       allow,
		Timeout:          cfg.HTTPTimeout,
		MaxTimeout:       cfg.HTTPMaxTimeout,
		MaxResponseBytes: cfg.HTTPMaxResponseBytes,
		MaxRedirects:     redirects(cfg.HTTPMaxRedirects),
	})
	o.Metrics, err = scriptmetrics.NewRegistry(s.metrics.reg, scriptmetrics.Limits{
		MaxNames:  cfg.ScriptMetricsMaxNames,
		MaxSeries: cfg.ScriptMetricsMaxSeries,
	}, cfg.ScriptDirs)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	return nil
}

// redirects maps http-max-redirects (0 = follow none) onto
// starhttp.Config.MaxRedirects (0 = the default, negative = none).
func redirects(n int) int {
	if n == 0 {
		return -1
	}
	return n
}
