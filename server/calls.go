package server

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"go.starlark.net/starlark"

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
// esl.ErrConnLost) as its cause.
func (s *Server) serveCall(ctx context.Context, conn callLeg) {
	start := time.Now()
	s.metrics.active.Add(1)
	defer s.metrics.active.Add(-1)
	live := s.live.Load()
	cfg := live.cfg
	id := conn.UUID()
	log := conn.Logger()

	spec, args := splitAppValue(conn.Variable(cfg.AppVariable))
	if spec == "" {
		spec, args = splitAppValue(cfg.DefaultModule)
	}
	outcome := "ok"
	defer func() { s.metrics.call(outcome, time.Since(start)) }()
	if spec == "" {
		log.Error("no module for the call: channel variable unset and no default-module", "variable", cfg.AppVariable)
		outcome = "error"
		s.applyOnError(conn, live.onError, log)
		return
	}
	if _, _, err := loader.ParseSpec(spec); err != nil {
		log.Error("bad module in the channel variable", "variable", cfg.AppVariable, "module", spec, "error", err)
		outcome = "error"
		s.applyOnError(conn, live.onError, log)
		return
	}
	log = log.With("module", spec)

	// The script's context outlives a hangup by hangup-grace, so it can
	// finish its bookkeeping; a shutdown or a lost connection stops it at once.
	sctx, cancelScript := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancelScript(context.Canceled)
	var graceTimer *time.Timer
	var timerMu sync.Mutex
	stopWatch := context.AfterFunc(ctx, func() {
		cause := context.Cause(ctx)
		if errors.Is(cause, esl.ErrHangup) {
			timerMu.Lock()
			graceTimer = time.AfterFunc(cfg.HangupGrace, func() { cancelScript(cause) })
			timerMu.Unlock()
			return
		}
		cancelScript(cause)
	})
	defer func() {
		stopWatch()
		timerMu.Lock()
		if graceTimer != nil {
			graceTimer.Stop()
		}
		timerMu.Unlock()
	}()

	// The call's API(), EventConsumer and Session(dest) go to its own switch.
	var client *esl.Client
	if l := s.linkOf(conn); l != nil {
		client = l.client()
	}
	call, info := s.newCall(sctx, id, spec)
	if client != nil {
		call.Client = client
	}
	defer call.Close()
	sess := conn.session(call)

	// The hook runs once: when the hangup is seen, or after the handler
	// when the script transferred the call; never while the handler runs
	// (it would share the module's values with it from another goroutine:
	// Starlark values are not safe for that). A handler still running at
	// hangup has hangup-grace to end; the hook runs when it has.
	handlerDone := make(chan struct{})
	endHandler := sync.OnceFunc(func() { close(handlerDone) })
	defer endHandler()
	var hookOnce sync.Once
	hookDone := make(chan struct{})
	runHook := func(what string) {
		hookOnce.Do(func() {
			defer close(hookDone)
			fn, hargs, ok := sess.TakeHangupHook()
			if !ok {
				return
			}
			hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.HangupGrace)
			defer cancel()
			hcall, hinfo := s.newCall(hctx, id, spec)
			if client != nil {
				hcall.Client = client
			}
			defer hcall.Close()
			hinfo.Fields = []any{"hangup_cause", hangupCause(conn)}
			if _, err := s.eng.HangupHook(hctx, hinfo, fn, sess, starlark.String(what), hargs); err != nil {
				s.metrics.scriptErrors.WithLabelValues("hangup_hook").Inc()
			}
		})
	}
	hookWatch := context.AfterFunc(ctx, func() {
		<-handlerDone
		if callGone(ctx) {
			what := sess.HangupWhat()
			if what == "" {
				what = "hangup"
			}
			runHook(what)
		}
	})
	defer hookWatch()

	// Mark the channel as this process's (orphan scan) and give it the
	// variables that make the dptools apps behind Session methods act as
	// mod_lua's calls, in one round trip.
	if err := conn.mark(sctx, s.instance); err != nil && ctx.Err() == nil {
		log.Debug("could not set the channel's variables", "error", err)
	}

	_, err := s.eng.Handler(sctx, info, sess, starlark.String(args))
	endHandler()
	hungUp := errors.Is(context.Cause(ctx), esl.ErrHangup)
	// Background media the script left playing holds the channel's queue:
	// the hangup or resume below would wait behind it.
	if m, ok := sess.(interface{ StopMedia() }); ok && !hungUp {
		m.StopMedia()
	}
	switch {
	case err != nil && !hungUp:
		outcome = "error"
		if errors.Is(err, loader.ErrNotFound) {
			log.Error("module not found", "error", err)
		}
		// engine has logged the backtrace; the call must not be left hanging.
		s.applyOnError(conn, s.live.Load().onError, log)
	case err != nil:
		outcome = "hangup"
	case hungUp:
	case sess.Transferred():
		s.unmark(conn)
		runHook("transfer")
		if conn.holdAfterTransfer() {
			<-ctx.Done()
		}
	case !sess.Ready():
		// The script hung up itself (or the channel is gone): the switch is
		// already tearing the call down; a second hangup would only cost it.
	case sess.AutoHangup():
		hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if herr := conn.Hangup(hctx, "NORMAL_CLEARING"); herr != nil && ctx.Err() == nil {
			log.Warn("auto hangup failed", "error", herr)
		}
		cancel()
	default:
		// setAutoHangup(False): the dialplan goes on after the socket app.
		s.unmark(conn)
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if rerr := conn.Resume(rctx); rerr != nil && ctx.Err() == nil {
			log.Warn("resume failed", "error", rerr)
		}
		cancel()
	}
	// Wait (briefly) for the hangup so the hook sees it before the socket closes.
	if ctx.Err() == nil && (err != nil || sess.AutoHangup()) && !sess.Transferred() {
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
	if callGone(ctx) {
		hookWatch()
		what := sess.HangupWhat()
		if what == "" {
			what = "hangup"
		}
		runHook(what)
	}
	select {
	case <-hookDone:
	default:
		// No hangup seen and no transfer: nothing to wait for.
		hookOnce.Do(func() { close(hookDone) })
		<-hookDone
	}
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
func (s *Server) applyOnError(conn callLeg, oe OnError, log interface {
	Warn(string, ...any)
	Info(string, ...any)
}) {
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

var _ = engine.CallInfo{}
