package builtins

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fsstar/fsstar/esl"
	"go.starlark.net/starlark"
)

// begin is called first by every Session method that reaches the switch.
// It fails on a destroyed Session, reads the queued events, and asks the
// switch once for the state events (no round trip when the outbound server
// subscribed them at connect). It returns errGone when the channel has hung
// up.
func (s *Session) begin(fn *starlark.Builtin) error {
	s.mu.Lock()
	destroyed, uuid := s.destroyed, s.uuid
	s.mu.Unlock()
	if destroyed {
		return fmt.Errorf("%s: the session was destroyed", fn.Name())
	}
	if uuid == "" {
		return fmt.Errorf("%s: the session has no channel (originate one first)", fn.Name())
	}
	s.sync()
	s.mu.Lock()
	gone := !s.readyLocked()
	s.mu.Unlock()
	if gone {
		return errGone
	}
	if err := s.ask(); err != nil {
		return s.fail(fn, err)
	}
	return nil
}

// ask asks the switch once for the events the session's state comes from
// (no round trip when the outbound server subscribed them at connect).
func (s *Session) ask() error {
	s.mu.Lock()
	asked := s.asked
	s.mu.Unlock()
	if asked {
		return nil
	}
	names := OutboundEvents()  // the state events and DTMF (type-ahead)
	if s.ctl.client() != nil { // an outbound connection has these from the start
		names = append([]string{"CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE"}, names...)
	}
	if err := s.ctl.subscribe(s.call.ctx(), names...); err != nil {
		return err
	}
	s.mu.Lock()
	s.asked = true
	s.mu.Unlock()
	return nil
}

// api runs an api command about the channel over the session's connection.
func (s *Session) api(fn *starlark.Builtin, cmd string) (string, error) {
	out, err := s.ctl.api(s.call.ctx(), cmd)
	if err != nil {
		return "", s.fail(fn, err)
	}
	return out, nil
}

// exec runs app on the channel with data that must reach the app exactly
// as written: the switch's variable expansion of app data is undone
// (esl.EscapeVars), so no ${...} in it is ever evaluated. Every
// high-level method goes through here; only execute() sends raw data.
func (s *Session) exec(thread *starlark.Thread, fn *starlark.Builtin, app, data string, media bool) (*esl.Event, error) {
	ev, err := s.run(thread, fn, app, esl.EscapeVars(data), media)
	if herr := s.runOwnHook(thread); herr != nil {
		return nil, herr
	}
	return ev, err
}

// run runs app on the channel with arg as the switch should read it
// (expanded by the switch) and returns its CHANNEL_EXECUTE_COMPLETE.
// With media true, DTMF that arrive while it runs go to the input callback
// (on this thread) and its result acts on the media. It returns errGone
// when the channel hangs up before or while the app runs.
func (s *Session) run(thread *starlark.Thread, fn *starlark.Builtin, app, arg string, media bool) (*esl.Event, error) {
	if err := s.begin(fn); err != nil {
		return nil, err
	}
	// Background media would hold the app queue: stop it (session_media.go).
	if _, err := s.stopBackground(fn); err != nil {
		return nil, err
	}
	collects := app == "read" || app == "play_and_get_digits"
	s.mu.Lock()
	sub, cb := s.events, s.cb
	// DTMF during a digit-collecting app are its own, during media with a
	// callback the callback's; any other key is type-ahead.
	s.dtmfTaken = collects || (media && cb != nil)
	var typeahead string
	// read's prompt gives the keys back too: the first one breaks it, as
	// a key waiting in the switch's queue does.
	if _, prompt := cb.(*promptBreaker); collects || (media && prompt) {
		typeahead, s.typeahead = s.typeahead, ""
	}
	s.mu.Unlock()
	// The type-ahead goes back to the channel once the app is queued:
	// the switch runs the queued app before it looks at DTMF again, so the
	// app finds the keys (sent earlier, the socket's park would drop them).
	var queued func()
	if typeahead != "" && s.ctl.canAPI() {
		queued = func() {
			if _, err := s.ctl.api(s.call.ctx(), "uuid_recv_dtmf "+s.uuid+" "+typeahead); err != nil {
				s.log.Debug("could not give the type-ahead back", "digits", typeahead, "error", err)
			}
		}
	}
	defer func() {
		s.mu.Lock()
		s.dtmfTaken = false
		s.mu.Unlock()
	}()
	ctx := s.call.ctx()
	type result struct {
		ev  *esl.Event
		err error
	}
	done := make(chan result, 1)
	waitCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		ev, err := s.ctl.execute(ctx, s.uuid, app, arg, queued)
		done <- result{ev, err}
		stop()
	}()
	var cbErr error
	stopped := false
	var completed []string // Application-UUIDs of the completions read meanwhile
	for {
		ev, err := sub.Next(waitCtx)
		if err != nil {
			break
		}
		s.observe(ev)
		if ev.Name() == "CHANNEL_EXECUTE_COMPLETE" {
			completed = append(completed, ev.Get("Application-UUID"))
		}
		if ev.Name() == "DTMF" && media && cb != nil && cbErr == nil && !stopped {
			stopped, cbErr = s.dtmf(thread, fn, ev, true)
			if cbErr != nil {
				_, _ = s.ctl.api(ctx, "uuid_break "+s.uuid) // end the media: the script is failing
			}
		} else if ev.Name() == "DTMF" && media && cb != nil && stopped {
			s.keep(ev) // after the break the switch leaves keys queued
		}
	}
	r := <-done
	s.mu.Lock()
	s.mediaBroken = stopped
	s.mu.Unlock()
	s.checkSub(sub)
	if r.err == nil && r.ev != nil {
		// Read this session's events up to the app's own completion, so
		// that DTMF sent during the media are not left for the next one.
		id := r.ev.Get("Application-UUID")
		short, cancel := context.WithTimeout(ctx, time.Second)
		for !slices.Contains(completed, id) {
			ev, err := sub.Next(short)
			if err != nil {
				break
			}
			s.observe(ev)
			if ev.Name() == "DTMF" && media && cb != nil && cbErr == nil && !stopped {
				_, cbErr = s.dtmf(thread, fn, ev, false)
			} else if ev.Name() == "DTMF" && media && cb != nil && stopped {
				s.keep(ev)
			}
			if ev.Name() == "CHANNEL_EXECUTE_COMPLETE" && ev.Get("Application-UUID") == id {
				break
			}
		}
		cancel()
		s.observe(r.ev)
	}
	if cbErr != nil {
		return nil, cbErr
	}
	if r.err != nil {
		return nil, s.fail(fn, r.err)
	}
	return r.ev, nil
}

// keep adds the key of a DTMF event to the type-ahead: a key pressed after
// the input callback broke the media, which the switch would leave queued
// for the next read.
func (s *Session) keep(ev *esl.Event) {
	if d := strings.ToUpper(ev.Get("DTMF-Digit")); len(d) == 1 {
		s.mu.Lock()
		s.typeahead += d
		s.mu.Unlock()
	}
}

// tookBreak reports whether the input callback stopped the last media
// app (its result broke the playback).
func (s *Session) tookBreak() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mediaBroken
}

// dtmf gives one DTMF event to the input callback and acts on its result
// (when act: the media is still running). It reports whether the media was
// stopped.
func (s *Session) dtmf(thread *starlark.Thread, fn *starlark.Builtin, ev *esl.Event, act bool) (bool, error) {
	d := DTMF{}
	digit := ev.Get("DTMF-Digit")
	if len(digit) != 1 {
		return false, nil
	}
	d.Digit = strings.ToUpper(digit)
	if dur, err := strconv.Atoi(ev.Get("DTMF-Duration")); err == nil {
		d.Duration = dur
	}
	res, err := s.callback(thread, "dtmf", d)
	if err != nil {
		return false, err
	}
	if !act {
		return false, nil
	}
	return s.act(fn, res)
}

// callback calls the input callback as fn(session, what, obj, args), or
// fn(session, what, obj) when setInputCallback got no args, and returns its
// result as a lower-case string ("" for None).
func (s *Session) callback(thread *starlark.Thread, what string, obj starlark.Value) (string, error) {
	s.mu.Lock()
	cb, args := s.cb, s.cbArgs
	s.mu.Unlock()
	if cb == nil {
		return "", nil
	}
	argv := starlark.Tuple{s, starlark.String(what), obj}
	if args != nil {
		argv = append(argv, args)
	}
	v, err := starlark.Call(thread, cb, argv, nil)
	if err != nil {
		return "", err
	}
	switch v := v.(type) {
	case starlark.NoneType:
		return "", nil
	case starlark.String:
		return string(v), nil
	case starlark.Bool:
		if v {
			return "true", nil
		}
		return "false", nil
	}
	return "", fmt.Errorf("input callback %s returned %s, want a string or None", cb.Name(), v.Type())
}

// act applies an input callback's result to the running media, as
// FreeSWITCH's process_callback_result: "", "true" and "undefined" go on;
// pause, speed[:v], volume[:v], seek[:v], restart and truncate go to
// uuid_fileman; stop, and anything else ("false", "break"...), end the
// media with uuid_break.
func (s *Session) act(fn *starlark.Builtin, res string) (bool, error) {
	r := strings.TrimSpace(res)
	cmd, _, _ := strings.Cut(strings.ToLower(r), ":")
	switch cmd {
	case "", "true", "undefined":
		return false, nil
	case "pause", "speed", "volume", "seek", "restart", "truncate":
		if strings.ContainsAny(r, " \t\r\n") {
			return false, fmt.Errorf("%s: input callback result %q: no spaces allowed", fn.Name(), res)
		}
		_, err := s.api(fn, "uuid_fileman "+s.uuid+" "+r)
		if errors.Is(err, errGone) {
			return true, nil
		}
		return false, err
	}
	_, err := s.api(fn, "uuid_break "+s.uuid)
	if errors.Is(err, errGone) {
		err = nil
	}
	return true, err
}
