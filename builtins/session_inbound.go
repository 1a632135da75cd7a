package builtins

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
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
	a, err := legUUID(fn, aLeg)
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

func legUUID(fn *starlark.Builtin, v starlark.Value) (string, error) {
	switch v := v.(type) {
	case starlark.NoneType:
		return "", nil
	case *Session:
		return v.UUID(), nil
	}
	return "", fmt.Errorf("%s: a_leg must be a Session or None, not %s", fn.Name(), v.Type())
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
func (s *Session) dial(fn *starlark.Builtin, client *esl.Client, dest string, timeout int, aLeg string) error {
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
	vars := "origination_uuid=" + u + ",originate_timeout=" + strconv.Itoa(timeout) + "," +
		strings.Join(ChannelDefaults(func(string) bool { return false }), ",")
	var inherit *aLegInfo
	if aLeg != "" {
		var err error
		if inherit, err = readALeg(s.call.ctx(), client, aLeg, dest); err != nil {
			return fmt.Errorf("%s: %w", fn.Name(), err)
		}
		vars += ",fsstar_a_leg_uuid=" + aLeg
		if len(inherit.vars) > 0 {
			vars += "," + strings.Join(inherit.vars, ",")
		}
	}
	after := func(leg, cause string) {
		if inherit == nil {
			return
		}
		if err := inherit.afterOriginate(s.call.ctx(), client, leg, cause); err != nil {
			s.log.Info("originate: could not record the result on the a-leg", "a_leg", aLeg, "error", err)
		}
	}
	if rest, ok := strings.CutPrefix(dest, "{"); ok {
		dest = "{" + vars + "," + rest
	} else {
		dest = "{" + vars + "}" + dest
	}
	// The originate api splits its line on blanks and unquotes: the dial
	// string goes as one quoted argument, so quotes and blanks in its
	// {var='a b'} parts reach the switch's dial string parser as written.
	ev, err := client.BgAPI(s.call.ctx(), "originate "+esl.QuoteArg(dest)+" &park()")
	if ce, ok := errors.AsType[*esl.CommandError](err); ok {
		cause := strings.TrimSpace(strings.TrimPrefix(ce.Reply, "-ERR"))
		s.log.Info("originate failed", "dest", dest, "cause", cause)
		s.mu.Lock()
		s.hungUp, s.cause = true, cause
		s.mu.Unlock()
		after("", cause)
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: originate %s: %w", fn.Name(), dest, err)
	}
	// The job says which leg answered: with a ring-all dial string (a,b)
	// it may not be the one that got our origination_uuid.
	if won := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(ev.Body)), "+OK")); won != "" && won != u && isUUID(won) {
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
	s.sync()
	s.mu.Lock()
	s.answered, s.mediaReady = true, true // originate returns +OK once the leg answered
	s.originated = true
	leg := s.uuid
	s.mu.Unlock()
	after(leg, "")
	return nil
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
	a, err := legUUID(fn, aLeg)
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

// waitForAnswer(session=None) waits until the channel answers or hangs up
// (mod_python passes the calling session, which is not needed here); an
// int instead is a timeout in seconds (default 60).
func (s *Session) waitForAnswer(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x starlark.Value = starlark.None
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "calling_session?", &x); err != nil {
		return nil, err
	}
	timeout := 60 * time.Second
	switch v := x.(type) {
	case starlark.NoneType, *Session:
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
	ctx, cancel := context.WithTimeout(s.call.ctx(), timeout)
	defer cancel()
	if err := s.waitFor(ctx, func() bool { return s.answered || !s.readyLocked() }); err != nil && s.call.ctx().Err() != nil {
		return nil, fmt.Errorf("%s: interrupted: %w", fn.Name(), context.Cause(s.call.ctx()))
	}
	return starlark.None, nil
}

// waitFor reads the session's events until cond (called under s.mu) holds
// or ctx ends.
func (s *Session) waitFor(ctx context.Context, cond func() bool) error {
	for {
		s.sync()
		s.mu.Lock()
		ok, sub := cond(), s.events
		s.mu.Unlock()
		if ok {
			return nil
		}
		if sub == nil {
			return errors.New("session destroyed")
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
	if !a.Ready() {
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
