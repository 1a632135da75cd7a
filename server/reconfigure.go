package server

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/hashicorp/go-hclog"
)

// Reconfigure applies the live params of cfg (Param.Live, LiveParams) to
// the running server. Changes to other params are logged as needing a
// restart.
func (s *Server) Reconfigure(cfg Config) error {
	oe, err := ParseOnError(cfg.OnError)
	if err != nil {
		return err
	}
	old := s.live.Load().cfg
	next := old
	for _, p := range Params() {
		if p.live != nil {
			p.live(&next, cfg)
		}
	}
	if cfg.LogLevel != old.LogLevel {
		s.log.SetLevel(hclog.LevelFromString(cfg.LogLevel))
	}
	s.memory.SetLimits(next.MaxCallMemoryBytes, next.MaxScriptMemoryBytes)
	s.live.Store(&liveConfig{cfg: next, onError: oe})
	if restart := changedFields(next, cfg); len(restart) > 0 {
		s.log.Warn("configuration reloaded; some changes need a restart", "ignored", fmt.Sprint(redactLines(restart, old.ESLPassword, cfg.ESLPassword, old.SMTPPassword, cfg.SMTPPassword, old.StateDSN, cfg.StateDSN)))
	} else {
		s.log.Info("configuration reloaded")
	}
	return nil
}

// changedFields lists the fields of b that differ from a, as
// "Field: a-value -> b-value".
func changedFields(a, b Config) []string {
	av, bv := reflect.ValueOf(a), reflect.ValueOf(b)
	var out []string
	for i := range av.NumField() {
		if !av.Type().Field(i).IsExported() {
			continue
		}
		x, y := av.Field(i).Interface(), bv.Field(i).Interface()
		if !reflect.DeepEqual(x, y) {
			out = append(out, fmt.Sprintf("%s: %v -> %v", av.Type().Field(i).Name, x, y))
		}
	}
	return out
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
