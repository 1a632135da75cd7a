package builtins

import (
	"context"

	"github.com/fsstar/fsstar/esl"
)

// ParkedEvents are the events a Session of a parked call reads. The server
// subscribes them on the inbound connection that drives the call (park
// mode), filtered at the switch to that connection's calls, before it
// hands the call to a script: the Session itself never subscribes.
//
// CHANNEL_HANGUP_COMPLETE is not among them: CHANNEL_HANGUP ends the call
// for the server and the Session, and its variables are the ones a mod_lua
// script still running sees after a hangup (the switch sets the CDR's
// timestamps and fires CHANNEL_HANGUP_COMPLETE only once the script's
// application returned). Left out, it is the largest event of the call
// (about 5 KB of channel variables) that the switch no longer serializes
// and sends.
func ParkedEvents() []string {
	var out []string
	for _, n := range sessionEvents {
		if n != "CHANNEL_HANGUP_COMPLETE" {
			out = append(out, n)
		}
	}
	return out
}

// NewParkedSession returns the Session of a call that reached fsstar
// parked (park mode): the dialplan set the app variable and ran `park`,
// and client, an inbound connection subscribed to ParkedEvents() for this
// call, drives it with `sendmsg <uuid>` and uuid_* api commands. ev is the
// CHANNEL_PARK event that brought the call (its state and variables).
// down reports why the channel cannot be reached any more, as
// esl.Conn.Err does for an outbound call: a *esl.HangupError once the
// server saw the call hang up, nil while it is up.
//
// It behaves as NewOutboundSession's Session in every way a script can
// see; the server's duties when the script ends are the same, with
// "resume" replaced by a transfer (a parked call has no dialplan to go on
// with).
func NewParkedSession(call *Call, client *esl.Client, ev *esl.Event, down func() error) *Session {
	if call == nil {
		call = &Call{}
	}
	s := newSession(call, parkCtl{c: client, downFn: down}, ev.UniqueID(), call.Logger)
	s.observe(ev)
	return s
}

// parkCtl controls a parked channel by uuid over the inbound connection the
// server gave the call. Unlike inboundCtl (a leg the script originated) it
// is the call's own session: it has the events from the start, cannot
// originate, and learns of the hangup from the server.
type parkCtl struct {
	c      *esl.Client
	downFn func() error
}

func (p parkCtl) execute(ctx context.Context, uuid, app, arg string, queued func()) (*esl.Event, error) {
	return p.c.Execute(ctx, uuid, app, arg, esl.ExecuteOptions{EventLock: true, Queued: queued})
}
func (p parkCtl) hangup(ctx context.Context, uuid, cause string) error {
	return p.c.Hangup(ctx, uuid, cause)
}
func (p parkCtl) api(ctx context.Context, cmd string) (string, error) { return p.c.API(ctx, cmd) }

// subscribe does nothing: the server subscribed ParkedEvents() for the
// connection's calls before the script started.
func (p parkCtl) subscribe(context.Context, ...string) error { return nil }
func (p parkCtl) listen(m esl.Match) *esl.Subscription       { return p.c.Listen(m) }
func (p parkCtl) sendEvent(ctx context.Context, ev *esl.Event) error {
	_, err := p.c.SendEvent(ctx, ev)
	return err
}
func (p parkCtl) down() error {
	if p.downFn == nil {
		return nil
	}
	return p.downFn()
}
func (p parkCtl) client() *esl.Client { return nil }
func (p parkCtl) canAPI() bool        { return true }
