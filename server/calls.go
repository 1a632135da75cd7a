package server

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"go.starlark.net/starlark"

	"github.com/fsstar/fsstar/builtins"
	"github.com/fsstar/fsstar/engine"
	"github.com/fsstar/fsstar/esl"
	"github.com/fsstar/fsstar/loader"
)

// instanceVar is set on every channel while this process controls it, so
// that after a restart the orphan scan can tell the calls it left behind.
const instanceVar = "fsstar_instance"

// ServeESL runs one call that reached fsstar through the dialplan's socket
// app: the module named by the app variable (else default-module) gets
// handler(session, args). When it returns the call is hung up unless the
// script turned auto-hangup off or transferred it; a missing module or a
// failed script sends the call to the on-error policy. The hangup hook runs
// exactly once. It implements esl.Handler.
func (s *Server) ServeESL(ctx context.Context, conn *esl.Conn) {
	s.serveCall(ctx, socketLeg{conn})
}

// serveCall runs the script of one call, whichever way it came (see
// callLeg). ctx ends when the leg is gone, with esl.ErrHangup (or
// esl.ErrConnLost) as its cause. The steps are call's methods, in the
// order they run.
func (s *Server) serveCall(ctx context.Context, leg callLeg) {
	start := time.Now()
	s.metrics.active.Add(1)
	defer s.metrics.active.Add(-1)
	c := &call{s: s, leg: leg, ctx: ctx, live: s.live.Load(), log: leg.Logger(), outcome: "ok"}
	defer func() { s.metrics.call(c.outcome, time.Since(start)) }()

	if !c.chooseModule() {
		return
	}
	c.startScript()
	c.watchHangup()
	defer c.end()
	c.mark()
	err := c.runHandler()
	c.afterHandler(err)
	c.awaitHook(err)
}

// call is one call being served (serveCall): what its steps share.
type call struct {
	s   *Server
	leg callLeg
	// ctx ends when the leg is gone (cause esl.ErrHangup or esl.ErrConnLost).
	ctx     context.Context
	live    *liveConfig  // the config in force when the call arrived
	log     hclog.Logger // the leg's (uuid), with the module once chosen
	spec    string       // the module (and ::function) the call runs
	args    string       // handler's args
	outcome string       // for the calls metric: ok, error or hangup

	// The script (startScript).
	sctx         context.Context // the script's: outlives a hangup by hangup-grace
	cancelScript context.CancelCauseFunc
	stopGrace    func()      // stops the hangup-grace watch and timer
	client       *esl.Client // the shared inbound connection of the call's switch; nil without one
	run          *builtins.Call
	info         engine.CallInfo
	sess         *builtins.Session

	// The hangup hook (watchHangup).
	handlerDone   chan struct{} // closed by endHandler
	endHandler    func()
	hookOnce      sync.Once
	hookDone      chan struct{} // closed once the hook ran, or will never run
	stopHookWatch func() bool
}

// chooseModule takes the module and its args from the app variable, else
// from default-module. A call with neither, or with a malformed module
// name, gets the on-error policy and chooseModule returns false.
func (c *call) chooseModule() bool {
	cfg := c.live.cfg
	c.spec, c.args = splitAppValue(c.leg.Variable(cfg.AppVariable))
	if c.spec == "" {
		c.spec, c.args = splitAppValue(cfg.DefaultModule)
	}
	if c.spec == "" {
		c.log.Error("no module for the call: channel variable unset and no default-module", "variable", cfg.AppVariable)
		c.fail(c.live.onError)
		return false
	}
	if _, _, err := loader.ParseSpec(c.spec); err != nil {
		c.log.Error("bad module in the channel variable", "variable", cfg.AppVariable, "module", c.spec, "error", err)
		c.fail(c.live.onError)
		return false
	}
	c.log = c.log.With("module", c.spec)
	return true
}

// startScript makes the script's context and its Session. The context
// outlives a hangup by hangup-grace, so the script can finish its
// bookkeeping; a shutdown or a lost connection stops it at once. The
// call's API(), EventConsumer and Session(dest) go to its own switch.
func (c *call) startScript() {
	c.sctx, c.cancelScript = context.WithCancelCause(context.WithoutCancel(c.ctx))
	var mu sync.Mutex
	var grace *time.Timer
	stopWatch := context.AfterFunc(c.ctx, func() {
		cause := context.Cause(c.ctx)
		if errors.Is(cause, esl.ErrHangup) {
			mu.Lock()
			grace = time.AfterFunc(c.live.cfg.HangupGrace, func() { c.cancelScript(cause) })
			mu.Unlock()
			return
		}
		c.cancelScript(cause)
	})
	c.stopGrace = func() {
		stopWatch()
		mu.Lock()
		if grace != nil {
			grace.Stop()
		}
		mu.Unlock()
	}
	if l := c.s.linkOf(c.leg); l != nil {
		c.client = l.client()
	}
	c.run, c.info = c.newRun(c.sctx)
	c.sess = c.leg.session(c.run)
}

// newRun prepares one run of the call's module under ctx (the handler's
// or the hook's), its switch commands going to the call's switch.
func (c *call) newRun(ctx context.Context) (*builtins.Call, engine.CallInfo) {
	run, info := c.s.newRun(ctx, c.leg.UUID(), c.spec)
	if c.client != nil {
		run.Client = c.client
	}
	return run, info
}

// watchHangup arranges for the hangup hook to run once: when the hangup is
// seen, or after the handler when the script transferred the call; never
// while the handler runs (it would share the module's values with it from
// another goroutine: Starlark values are not safe for that). A handler
// still running at hangup has hangup-grace to end; the hook runs when it has.
func (c *call) watchHangup() {
	c.handlerDone = make(chan struct{})
	c.endHandler = sync.OnceFunc(func() { close(c.handlerDone) })
	c.hookDone = make(chan struct{})
	c.stopHookWatch = context.AfterFunc(c.ctx, func() {
		<-c.handlerDone
		if callGone(c.ctx) {
			c.hangupHook()
		}
	})
}

// mark marks the channel as this process's (orphan scan) and gives it the
// variables that make the dptools apps behind Session methods act as
// mod_lua's calls, in one round trip.
func (c *call) mark() {
	if err := c.leg.mark(c.sctx, c.s.instance); err != nil && c.ctx.Err() == nil {
		c.log.Debug("could not set the channel's variables", "error", err)
	}
}

// runHandler runs handler(session, args); from its return on, the hook
// may run.
func (c *call) runHandler() error {
	_, err := c.s.eng.Handler(c.sctx, c.info, c.sess, starlark.String(c.args))
	c.endHandler()
	return err
}

// afterHandler does what the call needs once the handler returned err:
// the on-error policy for a failed script, the hook after a transfer, a
// hangup (auto-hangup), or the dialplan again after setAutoHangup(False).
func (c *call) afterHandler(err error) {
	hungUp := errors.Is(context.Cause(c.ctx), esl.ErrHangup)
	// Background media the script left playing holds the channel's queue:
	// the hangup or resume below would wait behind it.
	if !hungUp {
		c.sess.StopMedia()
	}
	switch {
	case err != nil && !hungUp:
		if errors.Is(err, loader.ErrNotFound) {
			c.log.Error("module not found", "error", err)
		}
		// engine has logged the backtrace; the call must not be left
		// hanging. The policy is the one in force now (SIGHUP may have
		// changed it while the script ran).
		c.fail(c.s.live.Load().onError)
	case err != nil:
		c.outcome = "hangup"
	case hungUp:
	case c.sess.Transferred():
		c.s.unmark(c.leg)
		c.runHook("transfer")
		if c.leg.holdAfterTransfer() {
			<-c.ctx.Done()
		}
	case !c.sess.Ready():
		// The script hung up itself (or the channel is gone): the switch is
		// already tearing the call down; a second hangup would only cost it.
	case c.sess.AutoHangup():
		c.autoHangup()
	default:
		c.resume()
	}
}

// autoHangup hangs up a call whose script ended with it still up.
func (c *call) autoHangup() {
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	if err := c.leg.Hangup(ctx, "NORMAL_CLEARING"); err != nil && c.ctx.Err() == nil {
		c.log.Warn("auto hangup failed", "error", err)
	}
}

// resume gives the call back to the dialplan after setAutoHangup(False):
// it goes on after the socket app.
func (c *call) resume() {
	c.s.unmark(c.leg)
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	if err := c.leg.Resume(ctx); err != nil && c.ctx.Err() == nil {
		c.log.Warn("resume failed", "error", err)
	}
}

// awaitHook waits (briefly) for the hangup the handler's end asked for, so
// that the hook sees it before the socket closes; runs the hook if the
// call is gone; and waits for a hook already running.
func (c *call) awaitHook(err error) {
	if c.ctx.Err() == nil && (err != nil || c.sess.AutoHangup()) && !c.sess.Transferred() {
		select {
		case <-c.ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
	if callGone(c.ctx) {
		c.stopHookWatch()
		c.hangupHook()
	}
	select {
	case <-c.hookDone:
	default:
		// No hangup seen and no transfer: nothing to wait for.
		c.hookOnce.Do(func() { close(c.hookDone) })
		<-c.hookDone
	}
}

// hangupHook runs the hook for a call that is gone, with what the Session
// says ended it ("hangup" unless it says "transfer").
func (c *call) hangupHook() {
	what := c.sess.HangupWhat()
	if what == "" {
		what = "hangup"
	}
	c.runHook(what)
}

// runHook runs the hook set by setHangupHook, at most once per call and
// within hangup-grace.
func (c *call) runHook(what string) {
	c.hookOnce.Do(func() {
		defer close(c.hookDone)
		fn, args, ok := c.sess.TakeHangupHook()
		if !ok {
			return
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.ctx), c.live.cfg.HangupGrace)
		defer cancel()
		run, info := c.newRun(ctx)
		defer run.Close()
		info.Fields = []any{"hangup_cause", hangupCause(c.leg)}
		if _, err := c.s.eng.HangupHook(ctx, info, fn, c.sess, starlark.String(what), args); err != nil {
			c.s.metrics.scriptErrors.WithLabelValues("hangup_hook").Inc()
		}
	})
}

// end releases what startScript and watchHangup took, last taken first.
func (c *call) end() {
	c.stopHookWatch()
	c.endHandler()
	c.run.Close()
	c.stopGrace()
	c.cancelScript(context.Canceled)
}

// fail sends the call to the on-error policy oe and counts it as failed.
func (c *call) fail(oe OnError) {
	c.outcome = "error"
	c.s.applyOnError(c.leg, oe, c.log)
}

// callGone reports whether the call's connection ended because the call
// hung up or because the switch connection was lost (FreeSWITCH hangs up a
// channel whose outbound socket drops): either way the hangup hook is due.
func callGone(ctx context.Context) bool {
	cause := context.Cause(ctx)
	return errors.Is(cause, esl.ErrHangup) || errors.Is(cause, esl.ErrConnLost)
}

// unmark lets go of a channel that leaves fsstar alive (see callLeg.release).
func (s *Server) unmark(conn callLeg) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	conn.release(ctx)
}

// applyOnError sends a call whose script is missing or failed to the
// on-error policy: a hangup with a cause, or a transfer.
func (s *Server) applyOnError(conn callLeg, oe OnError, log hclog.Logger) {
	s.metrics.onError.WithLabelValues(oe.Action).Inc()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	select {
	case <-conn.Done():
		if errors.Is(conn.Err(), esl.ErrHangup) {
			return // already gone
		}
	default:
	}
	var err error
	switch oe.Action {
	case "transfer":
		s.unmark(conn)
		_, err = conn.Execute(ctx, "transfer", oe.Target)
	default:
		err = conn.Hangup(ctx, oe.Cause)
	}
	if errors.Is(err, esl.ErrConnLost) {
		// The call's own socket is gone but the channel may still be up:
		// apply the policy over the shared inbound connection.
		var c *esl.Client
		if l := s.linkOf(conn); l != nil {
			c = l.client()
		}
		err = s.onErrorInbound(ctx, c, conn.UUID(), oe)
	}
	if err != nil && !errors.Is(err, esl.ErrHangup) {
		log.Warn("on-error action failed", "action", oe.Action, "error", err)
		return
	}
	log.Info("on-error applied", "action", oe.Action, "cause", oe.Cause, "target", oe.Target)
}

// onErrorInbound applies the on-error policy to a channel over the shared
// inbound connection (uuid_kill / uuid_transfer), for a call whose outbound
// socket was lost. A channel that no longer exists is not an error.
func (s *Server) onErrorInbound(ctx context.Context, c *esl.Client, id string, oe OnError) error {
	if c == nil || id == "" {
		return esl.ErrConnLost
	}
	var err error
	if oe.Action == "transfer" {
		c.API(ctx, "uuid_setvar "+id+" "+instanceVar)
		_, err = c.API(ctx, "uuid_transfer "+id+" "+oe.Target)
	} else {
		_, err = c.API(ctx, "uuid_kill "+id+" "+oe.Cause)
	}
	if esl.IsNoSuchChannel(err) {
		return nil
	}
	return err
}

// hangupCause returns the Hangup-Cause of the call's CHANNEL_HANGUP.
func hangupCause(conn callLeg) string {
	var he *esl.HangupError
	if errors.As(conn.Err(), &he) {
		return he.Cause
	}
	return ""
}

// splitAppValue splits `ivr.main arg1 arg2` into the module spec and its
// arguments, as mod_python reads its app data.
func splitAppValue(v string) (spec, args string) {
	v = strings.TrimSpace(v)
	spec, args, _ = strings.Cut(v, " ")
	return spec, strings.TrimSpace(args)
}
