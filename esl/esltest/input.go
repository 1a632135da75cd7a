package esltest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/fsstar/fsstar/esl"
)

// queuedEvent is an event queued to a session, with the name it was sent
// under (it carries no Event-Name header).
type queuedEvent struct {
	ev   *esl.Event
	name string
}

// queueEvent queues ev to the session, as switch_core_session_queue_event
// does for a sendevent naming the channel in Unique-ID.
func (ch *Channel) queueEvent(ev *esl.Event, name string) {
	ch.mu.Lock()
	ch.sessEvents = append(ch.sessEvents, queuedEvent{ev, name})
	ch.mu.Unlock()
	select {
	case ch.evCh <- struct{}{}:
	default:
	}
}

// takeEvents dequeues the events queued to the session and drops them:
// what the input callback of a media app (on_dtmf) does with them.
func (ch *Channel) takeEvents() []queuedEvent {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	evs := ch.sessEvents
	ch.sessEvents = nil
	return evs
}

// dropDigits empties the DTMF buffer.
func (ch *Channel) dropDigits() {
	ch.mu.Lock()
	ch.digits = nil
	ch.mu.Unlock()
}

// hasDigits reports whether a digit is waiting.
func (ch *Channel) hasDigits() bool {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return len(ch.digits) > 0
}

// parkInput is what switch_ivr_park does with the caller's input between
// the executes it runs: every digit is dequeued and dropped, and an event
// queued to the session is fired with the channel's data added (and no
// Event-Name, Core-UUID, Event-Date-* or Event-Sequence, which only
// switch_event_prep_for_delivery adds).
func (ch *Channel) parkInput() {
	ch.dropDigits()
	for _, q := range ch.takeEvents() {
		ch.addHeaders(q.ev)
		ch.sw.publishRaw(q.ev, q.name)
	}
}

// onDTMF is mod_dptools' on_dtmf, the input callback of playback, say,
// phrase, speak, gentones, record and of sleep with sleep_eat_digits: it
// takes every digit; one in playback_terminators (unset: "*"; "any": every
// digit; "none": none) stops the media and is kept in
// playback_terminator_used. Events queued to the session are dropped.
func onDTMF(ch *Channel) *input {
	ch.vars.unset("playback_terminator_used")
	return &input{events: true, dtmf: func(d rune) bool {
		terms, ok := ch.vars.get("playback_terminators")
		switch {
		case !ok:
			terms = "*"
		case strings.EqualFold(terms, "any"):
			terms = "1234567890*#"
		case strings.EqualFold(terms, "none"):
			terms = ""
		}
		if strings.ContainsRune(terms, d) {
			ch.vars.set("playback_terminator_used", string(d))
			return true
		}
		return false
	}}
}

// intoBuffer is the input of read's prompt (args.buf without a callback):
// the first digit is taken into buf and stops the prompt; events stay
// queued.
func intoBuffer(buf *[]rune) *input {
	return &input{dtmf: func(d rune) bool { *buf = append(*buf, d); return true }}
}

// appSleep is the sleep app (switch_ivr_sleep with sync): it ends early
// when a digit is waiting and leaves that digit queued (for park to drop,
// or for an execute queued behind it), unless sleep_eat_digits is true:
// then the digits are taken by on_dtmf and only a terminator ends it.
func appSleep(ctx context.Context, ch *Channel, arg string) string {
	ms := max(cAtoi(arg), 0)
	if strings.TrimSpace(arg) == "" {
		ch.sw.logLine(3, "mod_dptools.c", "No timeout specified.\n")
		return ""
	}
	var in *input
	if switchTrue(ch.Var("sleep_eat_digits")) {
		in = onDTMF(ch)
	}
	select { // a break sent before the sleep started does not count
	case <-ch.brk:
	default:
	}
	t := time.NewTimer(ch.sw.scaled(time.Duration(ms) * time.Millisecond))
	defer t.Stop()
	ch.clockWaits(time.Duration(ms) * time.Millisecond)
	defer ch.clockWaitDone()
	for {
		if in != nil {
			if ch.take(in) {
				return ""
			}
		} else if ch.hasDigits() {
			return ""
		}
		select {
		case <-t.C:
			return ""
		case <-ctx.Done():
			return ""
		case <-ch.brk:
			return ""
		case <-ch.dtmfCh:
		case <-ch.evCh:
		}
	}
}

// switchTrue is switch_true: yes, on, true, t, enabled, active, allow or a
// non-zero number.
func switchTrue(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "on", "true", "t", "enabled", "active", "allow":
		return true
	}
	return cAtoi(s) != 0
}

// startUUIDBridge is switch_ivr_uuid_bridge: both legs leave the app they
// run (park, socket, ...) and are bridged; when one leg hangs up, the
// other leaves the bridge (CHANNEL_UNBRIDGE) and goes on with its dialplan
// after the app that was interrupted: a leg parked by originate's &park()
// has nothing left and hangs up, a leg of "socket ... async full" runs the
// apps after socket (its socket connection stays open).
func (ch *Channel) startUUIDBridge(other *Channel) {
	// switch_ivr_uuid_bridge: each leg's transfer_source (and pushed
	// transfer_history) says uuid_br, before its app is interrupted.
	for _, l := range [][2]*Channel{{ch, other}, {other, ch}} {
		l[0].pushTransferSource(fmt.Sprintf("%d:%s:uuid_br:%s", time.Now().Unix(), l[0].uuid, l[1].uuid))
	}
	end := &bridgeEnd{done: make(chan struct{})}
	ch.mu.Lock()
	ch.uuidBridge, ch.bridgeOrig, ch.bridgeEnd = other, true, end
	ch.mu.Unlock()
	other.mu.Lock()
	other.uuidBridge, other.bridgeOrig, other.bridgeEnd = ch, false, end
	other.mu.Unlock()
	ch.interrupt()
	other.interrupt()
}

// interrupt ends the apps the channel runs (nested ones included).
func (ch *Channel) interrupt() {
	ch.mu.Lock()
	cancels := append([]context.CancelFunc(nil), ch.appCancels...)
	ch.mu.Unlock()
	for _, cancel := range cancels {
		cancel()
	}
}

// takeUUIDBridge returns the leg a uuid_bridge is waiting to bridge this
// one to, or nil.
func (ch *Channel) takeUUIDBridge() *Channel {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.uuidBridge
}

// uuidBridgeApp runs the bridge of a uuid_bridge on one leg until either
// leg hangs up. The first leg of uuid_bridge sends CHANNEL_BRIDGE and
// CHANNEL_UNBRIDGE.
func uuidBridgeApp(other *Channel) appFunc {
	return func(ctx context.Context, ch *Channel, _ string) string {
		ch.mu.Lock()
		orig, end := ch.bridgeOrig, ch.bridgeEnd
		ch.mu.Unlock()
		if orig {
			ch.link(other)
		}
		// The bridge runs the executes sendmsg queues to the leg
		// (switch_ivr_parse_all_events in the bridge loop), until either
		// leg leaves it: a hangup, or a transfer of one leg.
		until := make(chan struct{})
		stop := context.AfterFunc(other.ctx, func() { end.close() })
		go func() {
			<-end.done
			close(until)
		}()
		ch.serveQueue(ctx, until, false)
		stop()
		end.close()
		ch.mu.Lock()
		ch.uuidBridge, ch.bridged = nil, nil
		ch.mu.Unlock()
		ch.vars.unset("bridge_to")
		if orig {
			ch.sw.publish(ch.event("CHANNEL_UNBRIDGE", "switch_ivr_bridge.c", "audio_bridge_thread", 700))
		}
		return ""
	}
}

// bridgeEnd is closed when the first leg of a uuid_bridge leaves it.
type bridgeEnd struct {
	once sync.Once
	done chan struct{}
}

func (e *bridgeEnd) close() { e.once.Do(func() { close(e.done) }) }
