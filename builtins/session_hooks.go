package builtins

import (
	"errors"
	"fmt"

	"go.starlark.net/starlark"
)

func (s *Session) setAutoHangup(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var on bool
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "val", &on); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.autoHangup = on
	s.mu.Unlock()
	return starlark.None, nil
}

func (s *Session) setHangupHook(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var hook starlark.Callable
	var hargs starlark.Value
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "func", &hook, "arg?", &hargs); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hookTaken {
		return nil, fmt.Errorf("%s: the hangup hook has already run", fn.Name())
	}
	s.hook, s.hookArgs = s.hangupHookWrapper(hook), hargs
	return starlark.None, nil
}

func (s *Session) setInputCallback(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var cb starlark.Callable
	var cargs starlark.Value
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "cbfunc", &cb, "funcargs?", &cargs); err != nil {
		return nil, err
	}
	// begin asks for the Session's events, DTMF among them (they feed the
	// callback and the type-ahead): nothing more to subscribe here.
	if err := s.begin(fn); err != nil && !errors.Is(err, errGone) {
		return nil, err
	}
	s.mu.Lock()
	s.cb, s.cbArgs = cb, cargs
	s.mu.Unlock()
	return starlark.None, nil
}

func (s *Session) unsetInputCallback(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fn, args, kwargs); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.cb, s.cbArgs = nil, nil
	s.mu.Unlock()
	return starlark.None, nil
}
