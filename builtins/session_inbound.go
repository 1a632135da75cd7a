package builtins

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fsstar/fsstar/esl"
	"github.com/google/uuid"
	"go.starlark.net/starlark"
)

// isUUID reports whether s is a uuid in the canonical form the switch
// gives channels (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, hex in any case);
// uuid.Validate alone also takes the urn:, braced and undashed forms.
func isUUID(s string) bool { return len(s) == 36 && uuid.Validate(s) == nil }

// newSession is freeswitch.Session(dest_or_uuid=None, a_leg=None).
func (e *env) newSession(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var dest string
	var aLeg starlark.Value = starlark.None
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "dest_or_uuid?", &dest, "a_leg?", &aLeg); err != nil {
		return nil, err
	}
	call := CallOf(thread)
	if call == nil {
		call = &Call{}
	}
	client := e.client(call)
	if client == nil {
		return nil, fmt.Errorf("%s: %w", fn.Name(), errNoClient)
	}
	s := newSession(call, inboundCtl{client}, "", e.logger(call))
	s.ownHook = true
	call.OnClose(func() error { s.endOfScript(); return nil })
	if dest == "" {
		return s, nil // originate() later
	}
	if isUUID(dest) {
		if err := s.attach(fn, client, dest); err != nil {
			return nil, err
		}
		return s, nil
	}
	a, err := legSession(fn, aLeg)
	if err != nil {
		return nil, err
	}
	if err := s.dial(fn, client, dest, 60, a); err != nil {
		return nil, err
	}
	return s, nil
}

// NewInboundSession returns a Session controlling the existing channel
// uuid over the inbound client, as freeswitch.Session(uuid) does (for an
// fsapi call that names its channel, or a runtime job). Its event queue is
// dropped when call is closed. It fails when there is no such channel.
func NewInboundSession(call *Call, client *esl.Client, uuid string) (*Session, error) {
	if call == nil {
		call = &Call{}
	}
	if client == nil {
		return nil, errNoClient
	}
	if !isUUID(uuid) {
		return nil, fmt.Errorf("freeswitch.Session: %q is not a uuid", uuid)
	}
	s := newSession(call, inboundCtl{client}, "", call.Logger)
	call.OnClose(func() error { s.close(); return nil })
	if err := s.attach(sessionBuiltin, client, uuid); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// sessionBuiltin names the errors of NewInboundSession.
var sessionBuiltin = starlark.NewBuiltin("freeswitch.Session", nil)

// legSession is the a-leg argument of an originate: a Session, or nil for
// None.
func legSession(fn *starlark.Builtin, v starlark.Value) (*Session, error) {
	switch v := v.(type) {
	case starlark.NoneType:
		return nil, nil
	case *Session:
		return v, nil
	}
	return nil, fmt.Errorf("%s: a_leg must be a Session or None, not %s", fn.Name(), v.Type())
}

// attach controls an existing channel by uuid over the inbound client.
func (s *Session) attach(fn *starlark.Builtin, client *esl.Client, uuid string) error {
	ctx := s.call.ctx()
	s.mu.Lock()
	s.uuid = uuid
	s.events = client.Listen(esl.Match{UUID: uuid, Names: sessionEvents, Buffer: sessionQueue})
	s.mu.Unlock()
	if err := s.begin(fn); err != nil && !errors.Is(err, errGone) {
		return err
	}
	out, err := client.API(ctx, "uuid_dump "+uuid+" json")
	if err != nil {
		return fmt.Errorf("%s: no channel %s: %w", fn.Name(), uuid, err)
	}
	d, err := esl.ParseJSON([]byte(out))
	if err != nil {
		return fmt.Errorf("%s: uuid_dump %s: %v", fn.Name(), uuid, err)
	}
	s.observe(d)
	return nil
}

// dial originates dest with a uuid fsstar chose (origination_uuid), parks
// it, and controls it by that uuid. A failed originate is not an error: the
// session is then not ready and hangupCause() says why, as in mod_python.
// With an a-leg (not nil) the leg inherits from it and the a-leg hears its
// ringback while the leg rings (session_originate.go).
func (s *Session) dial(fn *starlark.Builtin, client *esl.Client, dest string, timeout int, aLeg *Session) error {
	if strings.ContainsAny(dest, "\x00\r\n") {
		return fmt.Errorf("%s: invalid dial string %q (no line breaks)", fn.Name(), dest)
	}
	if timeout <= 0 {
		timeout = 60
	}
	s.mu.Lock()
	if s.uuid != "" {
		s.mu.Unlock()
		return fmt.Errorf("%s: the session already has a channel (%s)", fn.Name(), s.uuid)
	}
	u := uuid.NewString()
	s.uuid = u
	s.events = client.Listen(esl.Match{UUID: u, Names: sessionEvents, Buffer: sessionQueue})
	s.mu.Unlock()
	if err := s.begin(fn); err != nil {
		return s.hungUpErr(fn, err)
	}
	ctx := s.call.ctx()
	vars := "origination_uuid=" + u + ",originate_timeout=" + strconv.Itoa(timeout) + "," +
		strings.Join(ChannelDefaults(func(string) bool { return false }), ",")
	var inherit *aLegInfo
	if aLeg != nil {
		var err error
		if inherit, err = readALeg(ctx, client, aLeg.UUID(), dest); esl.IsNoSuchChannel(err) {
			// The a-leg has hung up: switch_ivr_originate gives up at once,
			// with the a-leg's own hangup cause.
			cause := aLeg.goneCause()
			s.log.Info("originate cancelled: the a-leg is gone", "a_leg", aLeg.UUID(), "cause", cause)
			s.mu.Lock()
			s.hungUp, s.cause = true, cause
			s.mu.Unlock()
			return nil
		} else if err != nil {
			return fmt.Errorf("%s: %w", fn.Name(), err)
		}
		vars += ",fsstar_a_leg_uuid=" + inherit.uuid + ",fsstar_dial=" + u
		inherit.cleanup = append(inherit.cleanup, "fsstar_dial")
		if len(inherit.vars) > 0 {
			vars += "," + strings.Join(inherit.vars, ",")
		}
	}
	after := func(leg, cause string) {
		if inherit == nil {
			return
		}
		if err := inherit.afterOriginate(ctx, client, leg, cause); err != nil {
			s.log.Info("originate: could not record the result on the a-leg", "a_leg", inherit.uuid, "error", err)
		}
	}
	failed := func(cause string) {
		s.log.Info("originate failed", "dest", dest, "cause", cause)
		s.mu.Lock()
		s.hungUp, s.cause = true, cause
		s.mu.Unlock()
		after("", cause)
	}
	if inherit != nil && inherit.refused != "" {
		failed(inherit.refused)
		return nil
	}
	if rest, ok := strings.CutPrefix(dest, "{"); ok {
		dest = "{" + vars + "," + rest
	} else {
		dest = "{" + vars + "}" + dest
	}
	// The originate api splits its line on blanks and unquotes: the dial
	// string goes as one quoted argument, so quotes and blanks in its
	// {var='a b'} parts reach the switch's dial string parser as written.
	cmd := "originate " + esl.QuoteArg(dest) + " &park()"
	var ev *esl.Event
	var err error
	if inherit != nil {
		ev, err = s.originateFor(fn, client, cmd, aLeg, inherit, u)
	} else {
		ev, err = client.BgAPI(ctx, cmd)
	}
	if ce, ok := errors.AsType[*esl.CommandError](err); ok {
		failed(strings.TrimSpace(strings.TrimPrefix(ce.Reply, "-ERR")))
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: originate %s: %w", fn.Name(), dest, err)
	}
	// The job says which leg answered: with a ring-all dial string (a,b)
	// it may not be the one that got our origination_uuid.
	won := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(ev.Body)), "+OK"))
	if won != "" && won != u && isUUID(won) {
		s.log.Debug("originate: another leg answered", "tracked", u, "answered", won)
		s.mu.Lock()
		old := s.events
		s.uuid, s.asked = won, false
		s.events = client.Listen(esl.Match{UUID: won, Names: sessionEvents, Buffer: sessionQueue})
		s.mu.Unlock()
		old.Close()
		if err := s.begin(fn); err != nil && !errors.Is(err, errGone) {
			return err
		}
	}
	s.mu.Lock()
	s.originated = true
	leg := s.uuid
	s.mu.Unlock()
	// The originate returned once the leg answered, or brought early media
	// (ignore_early_media unset), or rang with return_ring_ready: its
	// events, which came before the job's, say which. A leg whose events
	// were not seen (the one another leg's answer won) is asked.
	s.sync()
	s.mu.Lock()
	known := (s.answered || s.mediaReady) && leg == u
	s.mu.Unlock()
	if !known {
		if err := s.attachState(client, leg); err != nil {
			s.log.Debug("originate: could not read the new leg's state", "leg", leg, "error", err)
		}
	}
	var cleanup []string
	if inherit != nil {
		cleanup = inherit.cleanup
	}
	if err := restoreCallerID(ctx, s.ctl, leg, cleanup); err != nil {
		s.log.Info("originate: could not restore the leg's caller ID", "leg", leg, "error", err)
	}
	after(leg, "")
	return nil
}

// attachState reads the state of the channel leg (answered, early media,
// hung up) with one uuid_dump.
func (s *Session) attachState(client *esl.Client, leg string) error {
	out, err := client.API(s.call.ctx(), "uuid_dump "+leg+" json")
	if err != nil {
		return err
	}
	d, err := esl.ParseJSON([]byte(out))
	if err != nil {
		return err
	}
	s.observe(d)
	return nil
}

// originateFor runs the originate cmd for aLeg, as switch_ivr_originate
// does with the caller's session, which it reads while it waits:
//
//   - aLeg hears its ringback from when one of the originate's legs (they
//     carry fsstar_dial=marker) rings or brings early media, or at once
//     with instant_ringback, until the originate returns;
//   - when aLeg hangs up, or presses its origination_cancel_key, the
//     originate's legs are hung up (ORIGINATOR_CANCEL), and with a cancel
//     key the other keys pressed meanwhile are dropped (the switch dequeues
//     them).
func (s *Session) originateFor(fn *starlark.Builtin, client *esl.Client, cmd string, aLeg *Session, a *aLegInfo, marker string) (*esl.Event, error) {
	ctx := s.call.ctx()
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	rings := make(chan struct{}, 1)
	if a.ringback != "" {
		progress := []string{"CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA"}
		release, err := client.Hold(ctx, progress...)
		if err != nil {
			return nil, fmt.Errorf("subscribing %v: %w", progress, err)
		}
		defer func() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := release(rctx); err != nil {
				s.log.Debug("originate: could not drop the progress subscription", "error", err)
			}
		}()
		sub := client.Listen(esl.Match{Names: progress, Buffer: 64})
		defer sub.Close()
		wg.Go(func() {
			for {
				ev, err := sub.Next(wctx)
				if err != nil {
					return
				}
				if ev.Get("variable_fsstar_dial") == marker {
					rings <- struct{}{}
					return
				}
			}
		})
	}
	aLeg.sync()
	w := aLeg.watch(a.cancelKey)
	defer w.close()
	if !aLeg.Ready() {
		// The a-leg is gone already: switch_ivr_originate gives up at once
		// with its hangup cause (and a hupall now could come before the
		// legs exist).
		return nil, &esl.CommandError{Command: "bgapi " + cmd, Reply: "-ERR " + aLeg.goneCause()}
	}
	job, err := client.BgAPIAsync(ctx, cmd)
	if err != nil {
		return nil, err
	}
	type result struct {
		ev  *esl.Event
		err error
	}
	done := make(chan result, 1)
	wg.Go(func() {
		ev, err := job.Wait(ctx)
		done <- result{ev, err}
	})
	var rb *ringback
	ring := func() {
		if rb != nil || !aLeg.Ready() {
			return
		}
		var err error
		if rb, err = aLeg.startRingback(fn, a.ringback); err != nil {
			s.log.Info("originate: no ringback", "a_leg", a.uuid, "ringback", a.ringback, "error", err)
		}
		if rb == nil {
			rb = &ringback{s: aLeg} // none: not again
		}
	}
	if a.ringback != "" && a.instantRingback {
		ring()
	}
	cancelled := w.ended
	for {
		select {
		case <-rings:
			ring()
		case <-cancelled:
			cancelled = nil
			// The switch hangs the legs up with ORIGINATOR_CANCEL when the
			// caller hangs up; on its cancel key with NO_ANSWER, or
			// LOSE_RACE when several legs ring at once.
			cause := "ORIGINATOR_CANCEL"
			if aLeg.Ready() {
				cause = "NO_ANSWER"
				if ringsAll(cmd) {
					cause = "LOSE_RACE"
				}
			}
			s.log.Debug("originate: cancelled by the a-leg", "a_leg", a.uuid, "cause", cause)
			if _, err := client.API(ctx, "hupall "+cause+" fsstar_dial "+marker); err != nil {
				s.log.Info("originate: could not cancel", "error", err)
			}
		case r := <-done:
			w.close()
			rb.stop(fn)
			return r.ev, r.err
		}
	}
}

// goneCause is the hangup cause of a session that has hung up, as an
// originate for it ends with (NORMAL_CLEARING when none was seen).
func (s *Session) goneCause() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cause != "" {
		return s.cause
	}
	return "NORMAL_CLEARING"
}

// ringsAll reports whether a dial string rings several legs at once: a ','
// outside its {...}, [...] and <...> parts.
func ringsAll(dial string) bool {
	depth := 0
	for _, c := range dial {
		switch c {
		case '{', '[', '<':
			depth++
		case '}', ']', '>':
			depth--
		case ',':
			if depth == 0 {
				return true
			}
		}
	}
	return false
}

// legWatch reads a session's events on a goroutine while the script's
// thread waits for something else (an originate, waitForAnswer), so that
// its state, its type-ahead and its hangup are followed meanwhile.
type legWatch struct {
	s *Session
	// ended is closed when the session hangs up or presses cancelKey.
	ended     chan struct{}
	cancelKey string
	typeahead string // before the watch
	stop      context.CancelFunc
	wg        sync.WaitGroup
	closed    bool
}

// watch starts a legWatch of s, which must have read its events up to
// now (sync). cancelKey is the key that ends it ("" for none).
func (s *Session) watch(cancelKey string) *legWatch {
	ctx, stop := context.WithCancel(s.call.ctx())
	w := &legWatch{s: s, ended: make(chan struct{}), cancelKey: cancelKey, stop: stop}
	if len(w.cancelKey) > 1 {
		w.cancelKey = w.cancelKey[:1] // the switch compares its first character
	}
	s.mu.Lock()
	sub := s.events
	w.typeahead = s.typeahead
	s.mu.Unlock()
	var once sync.Once
	end := func() { once.Do(func() { close(w.ended) }) }
	if !s.Ready() {
		end()
	}
	if sub == nil {
		return w
	}
	w.wg.Go(func() {
		for {
			ev, err := sub.Next(ctx)
			if err != nil {
				if ctx.Err() == nil {
					s.checkDown()
					end()
				}
				return
			}
			s.observe(ev)
			if w.cancelKey != "" && ev.Name() == "DTMF" && ev.Get("DTMF-Digit") == w.cancelKey {
				end()
			}
			if !s.Ready() {
				end()
			}
		}
	})
	return w
}

// close stops the watch and waits for its goroutine. With a cancel key the
// keys pressed during the watch are dropped, as the switch dequeues every
// key while it looks for the cancel key.
func (w *legWatch) close() {
	if w.closed {
		return
	}
	w.closed = true
	w.stop()
	w.wg.Wait()
	if w.cancelKey != "" {
		w.s.mu.Lock()
		w.s.typeahead = w.typeahead
		w.s.mu.Unlock()
	}
}

// endOfScript runs when the script's call ends: a leg this Session
// originated is hung up unless the script turned auto-hangup off or
// transferred it, as CoreSession::destroy does (S_HUP); then the Session is
// forgotten.
func (s *Session) endOfScript() {
	s.mu.Lock()
	hang := s.originated && s.autoHangup && !s.transferred && s.readyLocked()
	uuid := s.uuid
	s.mu.Unlock()
	if hang {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if _, err := s.ctl.api(ctx, "uuid_kill "+uuid+" NORMAL_CLEARING"); err != nil {
			s.log.Debug("could not hang up the originated leg at the script's end", "leg", uuid, "error", err)
		}
		cancel()
	}
	s.close()
}

// originate is Session.originate(a_leg_session, dest, timeout=60): a
// Session made with freeswitch.Session() dials dest.
func (s *Session) originate(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var aLeg starlark.Value
	var dest string
	timeout := 60
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "a_leg_session", &aLeg, "dest", &dest, "timeout?", &timeout); err != nil {
		return nil, err
	}
	a, err := legSession(fn, aLeg)
	if err != nil {
		return nil, err
	}
	client := s.ctl.client()
	if client == nil {
		return nil, fmt.Errorf("%s: the call's own session cannot originate; use freeswitch.Session()", fn.Name())
	}
	if err := s.dial(fn, client, dest, timeout, a); err != nil {
		return nil, err
	}
	// As CoreSession::originate: 0 (SWITCH_STATUS_SUCCESS) when the leg
	// answered, 1 when it did not.
	s.mu.Lock()
	ok := s.readyLocked()
	s.mu.Unlock()
	if ok {
		return starlark.MakeInt(0), nil
	}
	return starlark.MakeInt(1), nil
}

// waitForAnswer(calling_session=None). With the calling Session it is
// switch_ivr_wait_for_answer: nothing when the channel has answered or
// has early media; else the calling session hears its ringback
// (transfer_ringback once answered, else ringback, else silence when
// send_silence_when_idle is set: session_ringback.go) until the channel
// answers, brings early media or hangs up, the calling session's
// call_timeout (seconds, default 60) passes, it hangs up or it presses its
// origination_cancel_key. With None, or an int (a timeout in seconds,
// default 60; fsstar's own form), it waits until the channel answers or
// hangs up.
func (s *Session) waitForAnswer(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x starlark.Value = starlark.None
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "calling_session?", &x); err != nil {
		return nil, err
	}
	timeout := 60 * time.Second
	var caller *Session
	switch v := x.(type) {
	case starlark.NoneType:
	case *Session:
		caller = v
	case starlark.Int:
		n, ok := v.Int64()
		if !ok || n < 0 {
			return nil, fmt.Errorf("%s: invalid timeout %s", fn.Name(), v)
		}
		timeout = time.Duration(n) * time.Second
	default:
		return nil, fmt.Errorf("%s: want a Session or a timeout in seconds, not %s", fn.Name(), x.Type())
	}
	if err := s.begin(fn); err != nil {
		if errors.Is(err, errGone) {
			return starlark.None, nil
		}
		return nil, err
	}
	if caller != nil {
		return starlark.None, s.waitWithRingback(fn, caller)
	}
	ctx, cancel := context.WithTimeout(s.call.ctx(), timeout)
	defer cancel()
	if err := s.waitFor(ctx, func() bool { return s.answered || !s.readyLocked() }); err != nil && s.call.ctx().Err() != nil {
		return nil, fmt.Errorf("%s: interrupted: %w", fn.Name(), context.Cause(s.call.ctx()))
	}
	return starlark.None, nil
}

// waitWithRingback is waitForAnswer(calling_session).
func (s *Session) waitWithRingback(fn *starlark.Builtin, caller *Session) error {
	s.mu.Lock()
	media := s.answered || s.mediaReady
	s.mu.Unlock()
	if media {
		return nil
	}
	if err := caller.begin(fn); errors.Is(err, errGone) {
		return nil // the caller's state changed: the switch stops waiting
	} else if err != nil {
		return err
	}
	out, err := caller.api(fn, "uuid_dump "+caller.UUID()+" json")
	if errors.Is(err, errGone) {
		return nil
	} else if err != nil {
		return err
	}
	d, err := esl.ParseJSON([]byte(out))
	if err != nil {
		return fmt.Errorf("%s: uuid_dump %s: %w", fn.Name(), caller.UUID(), err)
	}
	limit := 60
	if v := d.Variable("call_timeout"); v != "" {
		if limit = cAtoi(v); limit < 0 {
			limit = 60
		}
	}
	data := ringbackData(d.Variable, d.Get("Answer-State") == "answered")
	if data == "" {
		if n := cAtoi(d.Variable("send_silence_when_idle")); n != 0 {
			data = "silence:" + strconv.Itoa(n)
		}
	}
	if st := d.Get("Answer-State"); st != "answered" && st != "early" {
		data = "" // no media to write the ringback to: the switch writes none
	}
	ctx, cancel := context.WithTimeout(s.call.ctx(), time.Duration(limit)*time.Second)
	defer cancel()
	w := caller.watch(d.Variable("origination_cancel_key"))
	defer w.close()
	if data != "" {
		rb, err := caller.startRingback(fn, data)
		if err != nil {
			// The switch gives up waiting when it cannot open the file.
			s.log.Info("waitForAnswer: no ringback", "calling_session", caller.UUID(), "ringback", data, "error", err)
			return nil
		}
		defer func() {
			w.close()
			rb.stop(fn)
		}()
	}
	go func() {
		select {
		case <-w.ended:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := s.waitFor(ctx, func() bool { return s.answered || s.mediaReady || !s.readyLocked() }); err != nil && s.call.ctx().Err() != nil {
		return fmt.Errorf("%s: interrupted: %w", fn.Name(), context.Cause(s.call.ctx()))
	}
	return nil
}

// waitFor reads the session's events until cond (called under s.mu) holds
// or ctx ends.
func (s *Session) waitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		ok, sub := cond(), s.events
		s.mu.Unlock()
		if ok {
			return nil
		}
		if sub == nil {
			return errors.New("session destroyed")
		}
		// One event at a time, cond checked after each (not sync, which
		// reads all that wait): a state that held only between two queued
		// events — a bridge that ended at once, CHANNEL_BRIDGE then
		// CHANNEL_UNBRIDGE — must not be missed. What the connection
		// knows of a hangup counts once the events before it were seen.
		if ev := sub.TryNext(); ev != nil {
			s.observe(ev)
			continue
		}
		s.checkSub(sub)
		s.checkDown()
		s.mu.Lock()
		ok = cond()
		s.mu.Unlock()
		if ok {
			return nil
		}
		ev, err := sub.Next(ctx)
		if err != nil {
			if errors.Is(err, esl.ErrOverflow) {
				continue
			}
			if ctx.Err() != nil {
				return err
			}
			s.checkDown()
			s.mu.Lock()
			ok = cond()
			s.mu.Unlock()
			if ok {
				return nil
			}
			return err
		}
		s.observe(ev)
	}
}

// bridge is freeswitch.bridge(a, b): uuid_bridge, then wait for
// CHANNEL_BRIDGE (the +OK is not the bridge). It returns None once bridged.
func (e *env) bridge(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var a, b *Session
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "session_a", &a, "session_b", &b); err != nil {
		return nil, err
	}
	for _, s := range []*Session{a, b} {
		if err := s.begin(fn); err != nil {
			return nil, s.hungUpErr(fn, err)
		}
	}
	// As switch_ivr_multi_threaded_bridge under mod_lua, the script keeps
	// the a-leg when the bridge ends: park_after_bridge parks it (without
	// it the switch hangs a parked a-leg up, and an outbound-socket a-leg
	// leaves the socket and goes on in its dialplan).
	if _, err := a.api(fn, "uuid_setvar "+a.UUID()+" park_after_bridge true"); err != nil {
		return nil, a.hungUpErr(fn, err)
	}
	a.mu.Lock()
	a.bridging = true // the socket/park app ending now is the bridge, not a transfer
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		a.bridging = false
		a.mu.Unlock()
	}()
	if _, err := a.api(fn, "uuid_bridge "+a.UUID()+" "+b.UUID()); err != nil {
		return nil, a.hungUpErr(fn, err)
	}
	ctx := a.call.ctx()
	if err := a.waitFor(ctx, func() bool { return a.bridged || !a.readyLocked() }); err != nil {
		return nil, fmt.Errorf("%s: waiting for CHANNEL_BRIDGE: %w", fn.Name(), err)
	}
	// Hung up before the bridge: an error. Hung up once bridged (its
	// hangup may already be known too): the bridge ended, as under mod_lua.
	a.mu.Lock()
	bridged := a.bridged
	a.mu.Unlock()
	if !bridged {
		return nil, a.hungUpErr(fn, errGone)
	}
	// CHANNEL_BRIDGE is about the a-leg only (the b-leg is its Other-Leg).
	b.mu.Lock()
	b.bridged = true
	b.mu.Unlock()
	// The bridge lasts until either leg leaves it (CHANNEL_UNBRIDGE on the
	// a-leg, or a hangup), as mod_lua's bridge blocks.
	if err := a.waitFor(ctx, func() bool { return !a.bridged || !a.readyLocked() }); err != nil {
		return nil, fmt.Errorf("%s: waiting for the bridge to end: %w", fn.Name(), err)
	}
	b.mu.Lock()
	b.bridged = false
	b.mu.Unlock()
	if a.Ready() {
		// The bridge ended with the a-leg up: most likely the b-leg hung
		// up, and its own hangup event may still be on its way. Wait for
		// it (briefly) so that b.ready() answers False right after.
		wctx, cancel := context.WithTimeout(ctx, time.Second)
		_ = b.waitFor(wctx, func() bool { return !b.readyLocked() })
		cancel()
	}
	return starlark.None, nil
}
