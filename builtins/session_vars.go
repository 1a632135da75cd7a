package builtins

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fsstar/fsstar/esl"
	"go.starlark.net/starlark"
)

func (s *Session) getUUID(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fn, args, kwargs); err != nil {
		return nil, err
	}
	return starlark.String(s.UUID()), nil
}

func (s *Session) hangupCause(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fn, args, kwargs); err != nil {
		return nil, err
	}
	s.sync()
	s.awaitHangupEvent(func() bool { return s.cause != "" })
	if c := s.HangupCause(); c != "" {
		return starlark.String(c), nil
	}
	return starlark.String("NONE"), nil // SWITCH_CAUSE_NONE, as the switch says while the call is up
}

func (s *Session) getState(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fn, args, kwargs); err != nil {
		return nil, err
	}
	s.sync()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == "" {
		return starlark.String("CS_NEW"), nil
	}
	return starlark.String(s.state), nil
}

func (s *Session) setVariable(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name, value string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "name", &name, "value", &value); err != nil {
		return nil, err
	}
	if err := checkVarName(name); err != nil {
		return nil, fmt.Errorf("%s: %v", fn.Name(), err)
	}
	if err := checkArg(fn, "value", value); err != nil {
		return nil, err
	}
	if err := s.begin(fn); err != nil {
		return nil, s.hungUpErr(fn, err)
	}
	// The value is quoted so that uuid_setvar (or the set app) stores it
	// byte for byte, never evaluated.
	if o, ok := s.ctl.(outboundCtl); ok {
		if err := o.conn.SetVar(s.call.ctx(), name, value); err != nil {
			return nil, s.hungUpErr(fn, s.fail(fn, err))
		}
		return starlark.None, nil
	}
	if _, err := s.api(fn, "uuid_setvar "+s.uuid+" "+esl.QuoteArg(name)+" "+esl.QuoteArg(value)); err != nil {
		return nil, s.hungUpErr(fn, err)
	}
	return starlark.None, nil
}

func (s *Session) getVariable(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "name", &name); err != nil {
		return nil, err
	}
	if err := checkVarName(name); err != nil {
		return nil, fmt.Errorf("%s: %v", fn.Name(), err)
	}
	err := s.begin(fn)
	if errors.Is(err, errGone) {
		return s.finalVariable(name), nil
	}
	if err != nil {
		return nil, err
	}
	if o, ok := s.ctl.(outboundCtl); ok && !o.conn.Full() {
		v, ok, err := o.conn.GetVar(s.call.ctx(), name)
		if err != nil {
			if err = s.fail(fn, err); errors.Is(err, errGone) {
				return s.finalVariable(name), nil
			}
			return nil, err
		}
		if !ok || v == "_undef_" {
			return starlark.None, nil
		}
		return starlark.String(v), nil
	}
	out, err := s.api(fn, "uuid_getvar "+s.uuid+" "+name)
	if errors.Is(err, errGone) {
		return s.finalVariable(name), nil
	}
	if err != nil {
		return nil, err
	}
	if out == "_undef_" {
		return starlark.None, nil
	}
	return starlark.String(out), nil
}

// getPrivate is Session.getPrivate(name): nothing a script gives
// setPrivate can be stored (see sessionRefused), so there is never a
// private to get: None, as mod_lua's nil.
func (s *Session) getPrivate(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "name", &name); err != nil {
		return nil, err
	}
	return starlark.None, nil
}

// awaitHangupEvent waits up to a second for the hangup event when the
// hangup was seen first some other way (a refused command, the
// connection's disconnect notice) and done (called under s.mu) says what it
// should bring is still missing.
func (s *Session) awaitHangupEvent(done func() bool) {
	s.mu.Lock()
	waiting := s.hungUp && s.events != nil && !done()
	s.mu.Unlock()
	if !waiting {
		return
	}
	ctx, cancel := context.WithTimeout(s.call.ctx(), time.Second)
	defer cancel()
	_ = s.waitFor(ctx, done)
}

// finalVariable answers getVariable after hangup from the last hangup
// event's variable_* headers (the channel is gone, the hook still asks).
func (s *Session) finalVariable(name string) starlark.Value {
	s.awaitHangupEvent(func() bool { return s.final != nil })
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.final == nil {
		return starlark.None
	}
	if v, ok := s.final.Headers.Lookup("variable_" + name); ok {
		return starlark.String(v)
	}
	return starlark.None
}

// bridgedMethod is Session.bridged(): CoreSession::bridged is
// switch_channel_up and CF_BRIDGED, a flag no event states. The switch sets
// bridge_to on both legs exactly while they are bridged (whoever bridged
// them), so bridged() asks for it; without api access (a socket without
// "full") it answers from the CHANNEL_BRIDGE / UNBRIDGE events seen.
func (s *Session) bridgedMethod(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fn, args, kwargs); err != nil {
		return nil, err
	}
	s.sync()
	if err := s.runOwnHook(thread); err != nil {
		return nil, err
	}
	s.mu.Lock()
	up, seen, uuid := s.readyLocked(), s.bridged, s.uuid
	s.mu.Unlock()
	if !up {
		return starlark.False, nil
	}
	if !s.ctl.canAPI() {
		return starlark.Bool(seen), nil
	}
	out, err := s.api(fn, "uuid_getvar "+uuid+" bridge_to")
	if errors.Is(err, errGone) {
		return starlark.False, nil
	}
	if err != nil {
		return nil, err
	}
	return starlark.Bool(out != "" && out != "_undef_"), nil
}
