package builtins

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fsstar/fsstar/esl"
	"go.starlark.net/starlark"
)

func (s *Session) hangup(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	cause := "normal_clearing"
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "cause?", &cause); err != nil {
		return nil, err
	}
	if strings.ContainsAny(cause, " \t\r\n") {
		return nil, fmt.Errorf("%s: invalid cause %q", fn.Name(), cause)
	}
	if err := s.hangupChannel(thread, fn, strings.ToUpper(cause)); err != nil {
		return nil, err
	}
	return starlark.None, nil
}

func (s *Session) execute(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var app, data string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "app", &app, "data?", &data); err != nil {
		return nil, err
	}
	if app == "" || strings.ContainsAny(app, " \t\r\n") {
		return nil, fmt.Errorf("%s: invalid application name %q", fn.Name(), app)
	}
	// The switch's own semantics, as mod_lua's execute: data is expanded.
	_, err := s.run(thread, fn, app, data, false)
	if err != nil && !errors.Is(err, errGone) {
		return nil, err
	}
	if err == nil && (app == "transfer" || app == "park") {
		s.mu.Lock()
		s.transferred = true
		s.mu.Unlock()
	}
	return starlark.None, nil
}

func (s *Session) transfer(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var ext, dialplan, context string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "extension", &ext, "dialplan?", &dialplan, "context?", &context); err != nil {
		return nil, err
	}
	for _, w := range []string{ext, dialplan, context} {
		if err := checkArg(fn, "argument", w); err != nil {
			return nil, err
		}
	}
	if ext == "" {
		return nil, fmt.Errorf("%s: empty extension", fn.Name())
	}
	if strings.HasPrefix(ext, "-") {
		return nil, fmt.Errorf("%s: extension %q would be read as a uuid_transfer flag (-bleg, -both)", fn.Name(), ext)
	}
	if context != "" && dialplan == "" {
		dialplan = "XML"
	}
	if err := s.begin(fn); err != nil {
		return nil, s.hungUpErr(fn, err)
	}
	cmd := "uuid_transfer " + s.uuid + " " + esl.QuoteArg(ext)
	if dialplan != "" || context != "" {
		cmd += " " + esl.QuoteArg(dialplan)
	}
	if context != "" {
		cmd += " " + esl.QuoteArg(context)
	}
	if _, err := s.api(fn, cmd); err != nil {
		return nil, s.hungUpErr(fn, err)
	}
	s.mu.Lock()
	s.transferred = true
	s.mu.Unlock()
	return starlark.MakeInt(1), nil // as CoreSession::transfer
}

func (s *Session) destroy(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var why string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "err?", &why); err != nil {
		return nil, err
	}
	// As CoreSession::destroy: a leg this Session originated (S_HUP),
	// still up, not transferred and with auto hangup on, is hung up first;
	// the handler's own session is left to the dialplan.
	s.mu.Lock()
	hang := s.originated && s.autoHangup && !s.transferred && !s.destroyed
	s.mu.Unlock()
	if hang && s.Ready() {
		if err := s.hangupChannel(thread, fn, "NORMAL_CLEARING"); err != nil {
			return nil, err
		}
	}
	s.close()
	if why != "" { // mod_lua's destroy(err) raises err once the session is gone
		return nil, errors.New(why)
	}
	return starlark.None, nil
}

// close forgets the session locally: its event queue and callbacks. It
// does not hang the channel up; the hangup hook stays for the server.
func (s *Session) close() {
	s.mu.Lock()
	sub := s.events
	s.destroyed, s.events, s.cb, s.cbArgs = true, nil, nil, nil
	s.mu.Unlock()
	if sub != nil {
		sub.Close()
	}
}

// hangupWait bounds how long hangup() waits for the switch to report the
// hangup it asked for.
const hangupWait = 5 * time.Second

// hangupChannel hangs the channel up as CoreSession::hangup does: with the
// switch's switch_channel_hangup (sendmsg call-command hangup), not the
// hangup application: as under mod_lua no application runs for it, so no
// CHANNEL_EXECUTE_COMPLETE comes of it and the CDR's last_app is not
// "hangup".
// It returns once CHANNEL_HANGUP arrived, so that what the script reads
// next (ready(), hangupCause(), the variables) is the hung-up channel's; a
// channel already gone is not an error. Background media is stopped first,
// as before any application.
func (s *Session) hangupChannel(thread *starlark.Thread, fn *starlark.Builtin, cause string) error {
	if err := s.begin(fn); errors.Is(err, errGone) {
		return nil // already hung up
	} else if err != nil {
		return err
	}
	if _, err := s.stopBackground(fn); err != nil {
		return err
	}
	s.mu.Lock()
	sub := s.events
	s.mu.Unlock()
	ctx := s.call.ctx()
	if err := s.ctl.hangup(ctx, s.uuid, cause); err != nil {
		if err := s.fail(fn, err); !errors.Is(err, errGone) {
			return err
		}
	}
	// The switch hangs up when the channel's thread next reads its
	// messages (at once in park, the socket's park or media): wait for the
	// CHANNEL_HANGUP that says so.
	wait, cancel := context.WithTimeout(ctx, hangupWait)
	defer cancel()
	for sub != nil {
		s.mu.Lock()
		down := s.hungUp
		s.mu.Unlock()
		if down {
			break
		}
		ev, err := sub.Next(wait)
		if err != nil {
			s.checkDown()
			if ctx.Err() != nil {
				return fmt.Errorf("%s: interrupted: %w", fn.Name(), context.Cause(ctx))
			}
			if wait.Err() != nil {
				s.log.Warn("no CHANNEL_HANGUP after hangup", "waited", hangupWait)
			}
			break
		}
		s.observe(ev)
	}
	s.mu.Lock()
	s.hungUp = true // asked for; CHANNEL_HANGUP, when it comes, sets the cause
	s.mu.Unlock()
	return s.runOwnHook(thread)
}
