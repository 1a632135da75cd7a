package server

import (
	"context"
	"fmt"
	"strings"

	"github.com/fsstar/fsstar/builtins"
	"github.com/fsstar/fsstar/esl"
	"github.com/google/uuid"
)

// EventHook is one parsed event-hook param: the events it wants and the
// module that runs for each.
type EventHook struct {
	// Event is the event name (CHANNEL_HANGUP_COMPLETE, CUSTOM...).
	Event string
	// Subclass is the CUSTOM subclass, if any.
	Subclass string
	// Module is the module spec, "mod[::function]" (default function
	// event_hook).
	Module string
}

// ParseEventHook parses "<EVENT>[/<subclass>] <module>[::function]".
func ParseEventHook(v string) (EventHook, error) {
	f := strings.Fields(v)
	if len(f) != 2 {
		return EventHook{}, fmt.Errorf("event-hook %q: want `<EVENT>[/<subclass>] <module>[::function]`", v)
	}
	ev, sub, _ := strings.Cut(f[0], "/")
	ev = strings.ToUpper(ev)
	if ev == "" || strings.ContainsAny(ev, "\r\n") || (sub != "" && ev != "CUSTOM") {
		return EventHook{}, fmt.Errorf("event-hook %q: want an event name, and a subclass only for CUSTOM", v)
	}
	return EventHook{Event: ev, Subclass: sub, Module: f[1]}, nil
}

// startEventHooks subscribes the event hooks' events on the inbound client
// c and runs each hook's module for every matching event until ctx ends.
// At most event-hook-concurrency run at once; an event that finds them all
// busy is dropped, counted and logged, so a slow hook never backs up the
// shared connection (its reader never waits).
func (s *Server) startEventHooks(ctx context.Context, c *esl.Client) {
	cfg := s.Config()
	if len(cfg.EventHooks) == 0 {
		return
	}
	slots := make(chan struct{}, max(cfg.EventHookConcurrency, 1))
	for _, v := range cfg.EventHooks {
		h, err := ParseEventHook(v)
		if err != nil {
			s.log.Error("event hook not started", "error", err)
			continue
		}
		names := []string{h.Event}
		match := h.Event
		if h.Subclass != "" {
			names = []string{"CUSTOM", h.Subclass}
			match = h.Subclass
		}
		sub := c.Listen(esl.Match{Names: []string{match}})
		if err := c.Subscribe(ctx, names...); err != nil {
			s.log.Error("event hook not started: subscribe failed", "event", v, "error", err)
			sub.Close()
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer sub.Close()
			for {
				ev, err := sub.Next(ctx)
				if err != nil {
					return
				}
				select {
				case slots <- struct{}{}:
				default:
					s.metrics.eventHooks.WithLabelValues(h.Module, "dropped").Inc()
					s.log.Warn("event hook busy: event dropped", "module", h.Module, "event", match)
					continue
				}
				s.wg.Add(1)
				go func() {
					defer s.wg.Done()
					defer func() { <-slots }()
					s.runEventHook(ctx, h, ev)
				}()
			}
		}()
		s.log.Info("event hook started", "event", match, "module", h.Module)
	}
}

// runEventHook runs one hook for one event within request-timeout.
func (s *Server) runEventHook(ctx context.Context, h EventHook, ev *esl.Event) {
	cfg := s.Config()
	ctx, cancel := context.WithTimeout(ctx, cfg.RequestTimeout)
	defer cancel()
	run, info := s.newRun(ctx, uuid.NewString(), h.Module)
	defer run.Close()
	e := builtins.NewEvent(ev)
	e.Freeze()
	if _, err := s.eng.EventHook(ctx, info, e); err != nil {
		s.metrics.eventHooks.WithLabelValues(h.Module, "error").Inc()
		s.metrics.scriptErrors.WithLabelValues("event_hook").Inc()
		return
	}
	s.metrics.eventHooks.WithLabelValues(h.Module, "ok").Inc()
}
