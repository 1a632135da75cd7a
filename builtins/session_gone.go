package builtins

import (
	"context"
	"errors"
	"fmt"

	"github.com/fsstar/fsstar/esl"
	"go.starlark.net/starlark"
)

// What a Session method does once its channel is gone. Inside the package a
// hangup (or the loss of the channel's connection) is one sentinel, errGone,
// returned by begin, api, exec and run and turned into it by fail. Each
// method then either returns its empty result (media and application
// methods, as mod_python: streamFile 0, read "", execute None) or, when it
// cannot do what it was asked (setVariable, transfer, sendEvent, bridge...),
// fails with hungUpErr's error, the one a script sees.

// ErrHungUp is matched (errors.Is) by the errors of Session methods that
// cannot do anything useful once the channel has hung up (setVariable,
// transfer, sendEvent...). Media and application methods do not fail: as in
// mod_python they return at once with an empty result.
var ErrHungUp = errors.New("session hung up")

// errGone is returned by begin, api, exec and run when the channel has
// hung up (or its connection is gone): the methods then return their empty
// result, or hungUpErr's error.
var errGone = errors.New("gone")

// hungUpErr is the error a method that cannot act on a channel that hung
// up returns: errGone becomes "<method>: <uuid>: session hung up", which
// matches ErrHungUp; any other err (nil too) is returned as it is. Every
// such method goes through here, so that the error always names the
// method and the channel.
func (s *Session) hungUpErr(fn *starlark.Builtin, err error) error {
	if !errors.Is(err, errGone) {
		return err
	}
	return fmt.Errorf("%s: %s: %w", fn.Name(), s.UUID(), ErrHungUp)
}

// fail turns an error of the switch into the method's error, or errGone
// when it says the call hung up.
func (s *Session) fail(fn *starlark.Builtin, err error) error {
	if errors.Is(err, esl.ErrHangup) {
		s.checkDown()
		s.mu.Lock()
		s.hungUp = true
		if herr, ok := errors.AsType[*esl.HangupError](err); ok && s.cause == "" {
			s.cause = herr.Cause
		}
		s.mu.Unlock()
		return errGone
	}
	if ctx := s.call.ctx(); ctx.Err() != nil {
		return fmt.Errorf("%s: interrupted: %w", fn.Name(), context.Cause(ctx))
	}
	if esl.IsNoSuchChannel(err) {
		s.sync() // the CHANNEL_HANGUP may be queued already, with its cause
		s.mu.Lock()
		s.hungUp = true
		s.mu.Unlock()
		return errGone
	}
	return fmt.Errorf("%s: %w", fn.Name(), err)
}
