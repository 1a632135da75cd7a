package esltest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fsstar/fsstar/esl"
)

// App is one dialplan application with its argument.
type App struct {
	Name string
	Arg  string
}

// AppRun is one application a channel executed: from its dialplan, from
// sendmsg, or nested in park or socket.
type AppRun struct {
	Name string
	// Arg is the data the application received: what was sent (Sent) after
	// the switch's variable expansion.
	Arg string
	// Sent is the data as the dialplan or the sendmsg gave it.
	Sent string
	// Args are the arguments the application read from Arg, when it splits
	// its data (switch_separate_string and the like): read back from what
	// the application received.
	Args []string
	// UUID is the Application-UUID of its CHANNEL_EXECUTE events (the
	// Event-UUID of the sendmsg that asked for it, if any).
	UUID string
	// Response is the Application-Response of CHANNEL_EXECUTE_COMPLETE
	// ("_none_", "FILE PLAYED", ...), or "invalid application".
	Response string
	// Start and End are when it ran, on the wall clock.
	Start time.Time
	End   time.Time
	// Took is how long it ran on the channel's app clock (AppTime): the
	// simulated time of the run, which a busy machine does not stretch
	// beyond the app's own timers.
	Took time.Duration
}

// Channel is one call leg of the simulated switch. Its methods are safe for
// concurrent use; it stays readable after it is destroyed.
type Channel struct {
	sw        *Switch
	uuid      string
	serial    uint64
	name      string
	direction string
	created   time.Time
	prof      profile
	vars      *varStore

	ctx    context.Context // ends at hangup
	cancel context.CancelFunc
	queue  chan *execution // sendmsg executes, served by park and socket
	dtmfCh chan struct{}   // a digit arrived
	evCh   chan struct{}   // an event was queued to the session (sessEvents)
	brk    chan struct{}   // uuid_break
	fman   chan string     // uuid_fileman pause / restart for the media playing
	done   chan struct{}   // closed at CHANNEL_DESTROY

	answeredCh chan struct{} // closed at answer
	earlyCh    chan struct{} // closed at early media (CHANNEL_PROGRESS_MEDIA)
	ringCh     chan struct{} // closed at ring-ready (CHANNEL_PROGRESS)
	// routed, when set, starts the apps of a leg the originate api made:
	// closed by route, once its caller ID is flipped.
	routed     chan struct{}
	autoAnswer bool       // an originated leg that answers after ringing
	placed     chan error // PlaceCall: the socket app's connect result

	mu          sync.Mutex
	state       string
	callState   string
	answered    bool
	early       bool // early media (pre_answer)
	ringing     bool // ring-ready
	answeredAt  time.Time
	hungup      bool
	hangupCause string
	apps        []AppRun
	media       []string        // uuid_break, uuid_fileman and uuid_displace commands, in order
	displaced   map[string]bool // uuid_displace paths started and not stopped
	socketCmds  []string        // commands the outbound socket sent (SocketCommands)
	curApp      string
	parks       int // CHANNEL_PARK events sent (ParkCall)
	curArg      string
	appCancel   context.CancelFunc
	appCancels  []context.CancelFunc // nested apps (park, socket) and the one they run
	transferTo  string
	digits      []rune
	sessEvents  []queuedEvent // events queued to the session (sendevent with its Unique-ID)
	uuidBridge  *Channel      // uuid_bridge: the leg to bridge to when the running app ends
	bridgeOrig  bool          // this leg sent CHANNEL_BRIDGE (the first uuid of uuid_bridge)
	bridgeEnd   *bridgeEnd    // ends the uuid_bridge of both legs when one leaves it
	peer        *Channel      // the other loopback leg
	bridged     *Channel
	sock        *conn // the outbound socket controlling the channel
	timing      SocketTiming
	released    chan struct{}
	clock       appClock             // guarded by mu
	appHooks    map[string][]appHook // WhenApp, DTMFDuring, DTMFEachRun
	curAppStart time.Duration        // the app clock when curApp started
}

type profile struct {
	cidName, cidNum, dest, context, source, calleeName, calleeNum string
}

// execution is one app to run, with the sendmsg that asked for it.
type execution struct {
	fn    appFunc // runs instead of the app named app.Name (uuid_bridge)
	app   App
	uuid  string
	loops int
	done  chan struct{}
}

// UUID returns the channel's Unique-ID.
func (ch *Channel) UUID() string { return ch.uuid }

// Name returns the channel name (Channel-Name), e.g. "loopback/park-a".
func (ch *Channel) Name() string { return ch.name }

// State returns the channel state name: CS_EXECUTE, CS_HANGUP, CS_REPORTING, CS_DESTROY...
func (ch *Channel) State() string {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.state
}

// Answered reports whether the channel was answered.
func (ch *Channel) Answered() bool {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.answered
}

// HangupCause returns the hangup cause, or "" while the channel is up.
func (ch *Channel) HangupCause() string {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.hangupCause
}

// Var returns a channel variable ("" when unset).
func (ch *Channel) Var(name string) string {
	v, _ := ch.vars.get(name)
	return v
}

// SetVar sets a channel variable, as uuid_setvar does.
func (ch *Channel) SetVar(name, value string) { ch.vars.set(name, value) }

// Apps returns the applications the channel executed so far, in the order
// they completed, with their results.
func (ch *Channel) Apps() []AppRun {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return append([]AppRun(nil), ch.apps...)
}

// MediaCommands returns the uuid_break, uuid_fileman and uuid_displace
// commands the channel received, in order, as "break" / "break all",
// "fileman <cmd>" (for example "fileman pause" or "fileman speed:+1") and
// "displace start|stop <path>". The simulated media acts
// on break, "fileman stop", "fileman pause" (a toggle: the media's clock
// stops until the next pause) and "fileman restart"; the others are only
// recorded, so that a test can see what a script asked for.
func (ch *Channel) MediaCommands() []string {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return append([]string(nil), ch.media...)
}

// SocketCommands returns the commands the call's outbound socket sent, in
// order: the first line of each ("connect", "filter Unique-ID ...",
// "sendmsg", "api uuid_getvar ...") followed, for sendmsg, by its
// call-command and app name ("sendmsg execute answer", "sendmsg hangup").
// Tests use it to count the round trips a call costs the switch.
func (ch *Channel) SocketCommands() []string {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return append([]string(nil), ch.socketCmds...)
}

func (ch *Channel) recordSocketCommand(cmd *esl.Command) {
	line := strings.TrimSpace(cmd.Line)
	if verb, _, _ := strings.Cut(line, " "); verb == "sendmsg" {
		line = strings.TrimSpace("sendmsg " + cmd.Headers.Get("call-command") + " " + cmd.Headers.Get("execute-app-name"))
	}
	ch.mu.Lock()
	ch.socketCmds = append(ch.socketCmds, line)
	ch.mu.Unlock()
}

func (ch *Channel) recordMedia(cmd string) {
	ch.mu.Lock()
	ch.media = append(ch.media, cmd)
	ch.mu.Unlock()
}

// Done is closed when the channel is destroyed (after CHANNEL_DESTROY).
func (ch *Channel) Done() <-chan struct{} { return ch.done }

// WaitHangup waits until the channel is destroyed and returns its hangup
// cause, or ctx's error.
func (ch *Channel) WaitHangup(ctx context.Context) (string, error) {
	select {
	case <-ch.done:
		return ch.HangupCause(), nil
	case <-ctx.Done():
		return "", fmt.Errorf("esltest: channel %s still up: %w", ch.uuid, ctx.Err())
	}
}

// Answer answers the channel (CHANNEL_ANSWER), as uuid_answer does.
func (ch *Channel) Answer() { ch.answer() }

// Hangup hangs the channel up with the given cause (NORMAL_CLEARING when
// empty). It returns at once; see WaitHangup.
func (ch *Channel) Hangup(cause string) {
	if cause == "" {
		cause = "NORMAL_CLEARING"
	}
	ch.mu.Lock()
	if ch.hungup {
		ch.mu.Unlock()
		return
	}
	ch.hungup = true
	ch.hangupCause = cause
	ch.state = "CS_HANGUP"
	ch.callState = "HANGUP"
	peer, bridged, sock := ch.peer, ch.bridged, ch.sock
	if ch.uuidBridge != nil {
		bridged = nil // the other leg's uuid_bridge ends and its dialplan goes on
	}
	ch.mu.Unlock()
	ch.vars.set("hangup_cause", cause)
	ch.vars.set("hangup_cause_q850", strconv.Itoa(q850(cause)))
	ch.sw.log.Debug("hangup", "uuid", ch.uuid, "cause", cause)
	ch.sw.publish(ch.event("CHANNEL_HANGUP", "switch_channel.c", "switch_channel_perform_hangup", 3538))
	ch.cancel()
	if sock != nil && !sock.lingering() {
		sock.push(qitem{fn: func() bool { sock.disconnectNotice(ch.uuid); return false }})
	}
	if peer != nil {
		peer.Hangup(cause)
	}
	if bridged != nil {
		ev := ch.event("CHANNEL_UNBRIDGE", "switch_ivr_bridge.c", "audio_bridge_thread", 700)
		ch.sw.publish(ev)
		bridged.Hangup(cause)
	}
}

// event builds an event about this channel with all its headers.
func (ch *Channel) event(name, file, fn string, line int) *esl.Event {
	ev := ch.sw.newEvent(name, file, fn, line)
	ch.addHeaders(ev)
	return ev
}

var stateNumbers = map[string]int{
	"CS_NEW": 0, "CS_INIT": 1, "CS_ROUTING": 2, "CS_SOFT_EXECUTE": 3, "CS_EXECUTE": 4,
	"CS_EXCHANGE_MEDIA": 5, "CS_PARK": 6, "CS_CONSUME_MEDIA": 7, "CS_HIBERNATE": 8, "CS_RESET": 9,
	"CS_HANGUP": 10, "CS_REPORTING": 11, "CS_DESTROY": 12,
}

func (ch *Channel) addHeaders(ev *esl.Event) {
	ch.mu.Lock()
	state, callState, answered, hungup, early := ch.state, ch.callState, ch.answered, ch.hungup, ch.early
	answeredAt := ch.answeredAt
	cause := ch.hangupCause
	bridged := ch.bridged
	ch.mu.Unlock()
	answerState := "ringing"
	switch {
	case hungup:
		answerState = "hangup"
	case answered:
		answerState = "answered"
	case early:
		answerState = "early"
	}
	h := &ev.Headers
	h.Add("Channel-State", state)
	h.Add("Channel-Call-State", callState)
	h.Add("Channel-State-Number", strconv.Itoa(stateNumbers[state]))
	h.Add("Channel-Name", ch.name)
	h.Add("Unique-ID", ch.uuid)
	h.Add("Call-Direction", ch.direction)
	h.Add("Presence-Call-Direction", ch.direction)
	h.Add("Channel-HIT-Dialplan", strconv.FormatBool(ch.direction == "inbound"))
	h.Add("Channel-Call-UUID", ch.uuid)
	h.Add("Answer-State", answerState)
	if hungup {
		h.Add("Hangup-Cause", cause)
	}
	h.Add("Channel-Read-Codec-Name", "L16")
	h.Add("Channel-Read-Codec-Rate", "8000")
	h.Add("Channel-Read-Codec-Bit-Rate", "128000")
	h.Add("Channel-Write-Codec-Name", "L16")
	h.Add("Channel-Write-Codec-Rate", "8000")
	h.Add("Channel-Write-Codec-Bit-Rate", "128000")
	ch.addProfile(h, "Caller-", answeredAt)
	if bridged != nil {
		h.Add("Other-Type", "originatee")
		bridged.addProfile(h, "Other-Leg-", time.Time{})
	}
	ch.vars.each(func(k, v string) { h.Add("variable_"+k, v) })
}

func usec(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(t.UnixMicro(), 10)
}

func (ch *Channel) addProfile(h *esl.Headers, p string, answeredAt time.Time) {
	ch.mu.Lock()
	pr := ch.prof
	ch.mu.Unlock()
	h.Add(p+"Direction", ch.direction)
	h.Add(p+"Logical-Direction", ch.direction)
	h.Add(p+"Dialplan", "xml")
	if pr.cidName != "" {
		h.Add(p+"Caller-ID-Name", pr.cidName)
	}
	h.Add(p+"Caller-ID-Number", pr.cidNum)
	h.Add(p+"Orig-Caller-ID-Number", pr.cidNum)
	if pr.calleeName != "" {
		h.Add(p+"Callee-ID-Name", pr.calleeName)
	}
	if pr.calleeNum != "" {
		h.Add(p+"Callee-ID-Number", pr.calleeNum)
	}
	h.Add(p+"ANI", pr.cidNum)
	h.Add(p+"Destination-Number", pr.dest)
	h.Add(p+"Unique-ID", ch.uuid)
	h.Add(p+"Source", pr.source)
	h.Add(p+"Context", pr.context)
	h.Add(p+"Channel-Name", ch.name)
	h.Add(p+"Profile-Index", "1")
	h.Add(p+"Profile-Created-Time", usec(ch.created))
	h.Add(p+"Channel-Created-Time", usec(ch.created))
	h.Add(p+"Channel-Answered-Time", usec(answeredAt))
	for _, n := range []string{"Progress-Time", "Progress-Media-Time", "Hangup-Time", "Transfer-Time", "Resurrect-Time", "Bridged-Time", "Last-Hold", "Hold-Accum"} {
		h.Add(p+"Channel-"+n, "0")
	}
	h.Add(p+"Screen-Bit", "true")
	h.Add(p+"Privacy-Hide-Name", "false")
	h.Add(p+"Privacy-Hide-Number", "false")
}

// q850 maps a hangup cause to its Q.850 code.
func q850(cause string) int {
	switch cause {
	case "UNALLOCATED_NUMBER":
		return 1
	case "NO_ROUTE_DESTINATION":
		return 3
	case "NORMAL_CLEARING":
		return 16
	case "USER_BUSY":
		return 17
	case "NO_USER_RESPONSE":
		return 18
	case "NO_ANSWER":
		return 19
	case "CALL_REJECTED":
		return 21
	case "DESTINATION_OUT_OF_ORDER":
		return 27
	case "NORMAL_TEMPORARY_FAILURE":
		return 41
	case "SWITCH_CONGESTION":
		return 42
	case "ORIGINATOR_CANCEL":
		return 487
	default:
		return 16
	}
}

func (ch *Channel) setState(state, callState string) {
	ch.mu.Lock()
	if !ch.hungup {
		if state != "" {
			ch.state = state
		}
		if callState != "" {
			ch.callState = callState
		}
	}
	ch.mu.Unlock()
}

func (ch *Channel) isHungup() bool {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.hungup
}

// answer marks the channel answered and sends CHANNEL_ANSWER once; a
// loopback leg answers its peer too.
func (ch *Channel) answer() {
	ch.mu.Lock()
	if ch.answered || ch.hungup {
		ch.mu.Unlock()
		return
	}
	ch.answered = true
	ch.answeredAt = time.Now()
	ch.callState = "ACTIVE"
	peer := ch.peer
	ch.mu.Unlock()
	close(ch.answeredCh)
	ch.vars.set("endpoint_disposition", "ANSWER")
	ch.sw.publish(ch.event("CHANNEL_ANSWER", "switch_channel.c", "switch_channel_perform_mark_answered", 3906))
	if peer != nil {
		peer.answer()
	}
}

// progress sends CHANNEL_PROGRESS (ring-ready) or CHANNEL_PROGRESS_MEDIA
// (pre_answer: early media), once each, as switch_channel_mark_ring_ready
// and _mark_pre_answered; a loopback leg passes it to its peer (mod_loopback
// indicates ringing and progress to the other side). Nothing once answered.
func (ch *Channel) progress(media bool) {
	ch.mu.Lock()
	if ch.hungup || ch.answered || (media && ch.early) || (!media && ch.ringing) {
		ch.mu.Unlock()
		return
	}
	name, callState, done := "CHANNEL_PROGRESS", "RINGING", ch.ringCh
	if media {
		ch.early = true
		name, callState, done = "CHANNEL_PROGRESS_MEDIA", "EARLY", ch.earlyCh
	} else {
		ch.ringing = true
	}
	if !ch.hungup {
		ch.callState = callState
	}
	peer := ch.peer
	ch.mu.Unlock()
	ch.sw.publish(ch.event(name, "switch_channel.c", "switch_channel_perform_mark_pre_answered", 3714))
	close(done)
	if peer != nil {
		peer.progress(media)
	}
}

// route is what the originate api does to the leg it has made before that
// leg's app runs: switch_channel_set_caller_extension sorts its caller ID
// (switch_channel_sort_cid), which for an outbound leg that was never
// routed is switch_channel_flip_cid: caller and callee ID swap, the old
// caller ID goes to pre_transfer_caller_id_name/_number, and
// channel_cid_flipped is yes (and CALL_UPDATE goes out). Then its apps
// start.
func (ch *Channel) route() {
	if ch.routed == nil {
		return
	}
	if ch.direction == "outbound" {
		ch.mu.Lock()
		p := ch.prof
		ch.prof.cidName, ch.prof.calleeName = p.calleeName, p.cidName
		ch.prof.cidNum, ch.prof.calleeNum = p.calleeNum, p.cidNum
		ch.mu.Unlock()
		for k, v := range map[string]string{"pre_transfer_caller_id_name": p.cidName, "pre_transfer_caller_id_number": p.cidNum} {
			if v == "" {
				ch.vars.unset(k) // as switch_channel_set_variable with an empty value
			} else {
				ch.vars.set(k, v)
			}
		}
		ch.vars.set("channel_cid_flipped", "yes")
		ev := ch.event("CALL_UPDATE", "switch_channel.c", "switch_channel_flip_cid", 3346)
		ev.Headers.Add("Direction", "RECV")
		ch.sw.publish(ev)
	}
	close(ch.routed)
}

// parkCount returns how many times the channel was parked.
func (ch *Channel) parkCount() int {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.parks
}
