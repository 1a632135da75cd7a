package server

import (
	"go.starlark.net/starlark"

	"github.com/fsstar/fsstar/builtins"
)

// callSession is what the server needs of the Session value handed to
// handler(session, args): the contract of builtins.NewOutboundSession.
type callSession interface {
	starlark.Value
	// AutoHangup is false after setAutoHangup(False).
	AutoHangup() bool
	// Transferred reports that the script transferred or parked the call.
	Transferred() bool
	// Ready reports whether the call is still up.
	Ready() bool
	// TakeHangupHook returns the hook set by setHangupHook, once.
	TakeHangupHook() (fn starlark.Callable, args starlark.Value, ok bool)
	// HangupWhat is "hangup" or "transfer", for the hook's what argument.
	HangupWhat() string
}

// configureOptions adds the server-wide values to the builtins' Options.
func (s *Server) configureOptions(o *builtins.Options) {}

// configureCall gives a call the shared inbound connection, for what its
// own connection cannot do (API() without one, EventConsumer, Session(dest)).
func (s *Server) configureCall(c *builtins.Call) {
	if c.Client == nil {
		c.Client = s.client.Load()
	}
}
