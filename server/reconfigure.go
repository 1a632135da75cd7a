package server

import (
	"fmt"
	"strings"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-hclog"
)

// LiveParams are the params Reconfigure (SIGHUP) applies while serving;
// every other param needs a restart.
var LiveParams = []string{"log-level", "on-error", "http-token", "max-body-bytes",
	"request-timeout", "xml-fetch-timeout", "hangup-grace", "drain-timeout",
	"default-module", "app-variable", "xml-handler-script", "xml-handler-bindings"}

// Reconfigure applies the live params of cfg (see LiveParams) to the
// running server. Changes to other params are logged as needing a restart.
func (s *Server) Reconfigure(cfg Config) error {
	oe, err := ParseOnError(cfg.OnError)
	if err != nil {
		return err
	}
	old := s.live.Load().cfg
	next := old
	next.LogLevel = cfg.LogLevel
	next.OnError = cfg.OnError
	next.HTTPToken = cfg.HTTPToken
	next.MaxBodyBytes = cfg.MaxBodyBytes
	next.RequestTimeout = cfg.RequestTimeout
	next.XMLFetchTimeout = cfg.XMLFetchTimeout
	next.HangupGrace = cfg.HangupGrace
	next.DrainTimeout = cfg.DrainTimeout
	next.DefaultModule = cfg.DefaultModule
	next.AppVariable = cfg.AppVariable
	next.XMLHandlerScript = cfg.XMLHandlerScript
	next.XMLHandlerBindings = cfg.XMLHandlerBindings
	if cfg.LogLevel != old.LogLevel {
		s.log.SetLevel(hclog.LevelFromString(cfg.LogLevel))
	}
	s.live.Store(&liveConfig{cfg: next, onError: oe})
	if !cmp.Equal(next, cfg) {
		var restart []string
		for _, line := range strings.Split(cmp.Diff(next, cfg), "\n") {
			line = strings.TrimSpace(line)
			if strings.HasPrefix(line, "-") || strings.HasPrefix(line, "+") {
				restart = append(restart, line)
			}
		}
		s.log.Warn("configuration reloaded; some changes need a restart", "ignored", fmt.Sprint(redactLines(restart, old.ESLPassword, cfg.ESLPassword, old.SMTPPassword, cfg.SMTPPassword, old.StateDSN, cfg.StateDSN)))
	} else {
		s.log.Info("configuration reloaded")
	}
	return nil
}

func redactLines(lines []string, pw ...string) []string {
	for i, l := range lines {
		for _, p := range pw {
			if p != "" {
				l = strings.ReplaceAll(l, p, "*****")
			}
		}
		lines[i] = l
	}
	return lines
}
