package server

import (
	"context"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/fsstar/fsstar/builtins"
	"github.com/fsstar/fsstar/esl"
)

// callLeg is how the server reaches the channel of a call it runs: the
// call's own outbound socket (socket mode, *esl.Conn) or a parked channel
// driven over an inbound connection (park mode, parkLeg). serveCall is the
// same for both, so scripts cannot tell the modes apart.
type callLeg interface {
	UUID() string
	Logger() hclog.Logger
	// Variable is a channel variable as the call arrived (connect reply or
	// CHANNEL_PARK); hasVariable tells an empty one from an unset one.
	Variable(name string) string
	hasVariable(name string) bool
	// Full reports whether api commands reach the switch on this leg.
	Full() bool
	API(ctx context.Context, cmd string) (string, error)
	Execute(ctx context.Context, app, arg string) (*esl.Event, error)
	Hangup(ctx context.Context, cause string) error
	// Resume gives the call back to the dialplan when a script ends with
	// setAutoHangup(False).
	Resume(ctx context.Context) error
	// Done is closed when the leg can no longer be controlled (the call hung
	// up, or its socket was lost); Err says which.
	Done() <-chan struct{}
	Err() error
	// session makes the Session handed to handler(session, args).
	session(run *builtins.Call) *builtins.Session
	// mark marks the channel as this instance's (orphan scan) and sets the
	// variables that make the dptools apps behind Session methods act as
	// mod_lua's calls (builtins.ChannelDefaults), in one round trip.
	mark(ctx context.Context, instance string) error
	// holdAfterTransfer reports whether the server must keep the leg
	// until the call ends once the script transferred it away.
	holdAfterTransfer() bool
	// release is called when the server lets go of the call: it left
	// fsstar's control (transfer, resume) or ended.
	release(ctx context.Context)
}

// socketLeg is a call that came through the dialplan's socket app.
type socketLeg struct{ *esl.Conn }

func (l socketLeg) hasVariable(name string) bool {
	_, ok := l.Channel().Headers.Lookup("variable_" + name)
	return ok
}

func (l socketLeg) session(run *builtins.Call) *builtins.Session {
	return builtins.NewOutboundSession(run, l.Conn)
}

// release removes the instance marker (orphan scan) from a channel that
// leaves fsstar alive.
func (l socketLeg) release(ctx context.Context) {
	if !l.Full() {
		return
	}
	l.API(ctx, "uuid_setvar "+l.UUID()+" "+instanceVar)
}

func (l socketLeg) mark(ctx context.Context, instance string) error {
	vars := builtins.ChannelDefaults(l.hasVariable)
	if l.Full() {
		vars = append(vars, instanceVar+"="+instance)
		_, err := l.API(ctx, "uuid_setvar_multi "+l.UUID()+" "+strings.Join(vars, ";"))
		return err
	}
	if len(vars) == 0 {
		return nil
	}
	_, err := l.Execute(ctx, "multiset", strings.Join(vars, " "))
	return err
}

// holdAfterTransfer: the socket stays until the call ends (or fsstar shuts
// down). When an outbound socket closes, the switch clears the channel's
// CF_CONTROLLED flag, and a park the transfer led to ends at once
// ("executed the last dialplan instruction"), hanging the call up.
func (l socketLeg) holdAfterTransfer() bool { return true }
