package builtins

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/fsstar/fsstar/esl"
	"github.com/hashicorp/go-hclog"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// stateEvents are the channel events a Session asks of the switch, besides
// those an outbound connection has from the start (CHANNEL_EXECUTE_COMPLETE,
// CHANNEL_HANGUP, CHANNEL_HANGUP_COMPLETE). Each comes once or twice per call.
var stateEvents = []string{"CHANNEL_ANSWER", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE"}

// sessionEvents are the events a Session reads from its connection.
var sessionEvents = append([]string{"CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE", "DTMF"}, stateEvents...)

// sessionQueue is the queue size of a Session's event subscription.
const sessionQueue = 1024

// OutboundEvents returns the event names a Session of an outbound call reads
// besides the ones esl.Server always subscribes. Put them in esl.Server.Events
// to save the one "event plain" round trip the Session otherwise makes on
// first use.
func OutboundEvents() []string { return append(append([]string(nil), stateEvents...), "DTMF") }

// channelDefaults are the channel variables fsstar sets on a channel it
// takes, so that the dptools apps behind Session methods act as mod_lua's
// direct calls: no key ends a prompt unless the script asks
// (playback_terminators defaults to "*" in mod_dptools; mod_lua's media
// methods have no terminators), and a key does not end sleep()
// (sleep_eat_digits: the app takes the key, fsstar keeps it as type-ahead).
var channelDefaults = [][2]string{{"playback_terminators", "none"}, {"sleep_eat_digits", "true"}}

// ChannelDefaults returns "name=value" for each variable fsstar sets on a
// call it takes (see channelDefaults) that the channel does not have
// already: isSet says whether the dialplan set one.
func ChannelDefaults(isSet func(name string) bool) []string {
	var out []string
	for _, kv := range channelDefaults {
		if !isSet(kv[0]) {
			out = append(out, kv[0]+"="+kv[1])
		}
	}
	return out
}

// Session is a call leg a script controls, the value of `session` in
// handler(session, args) and of freeswitch.Session(...). It implements
// starlark.HasAttrs (attribute uuid and the mod_python methods, see the
// package documentation). str(session) is its uuid.
//
// The server-facing methods (AutoHangup, Transferred, Ready, HangupHook,
// TakeHangupHook, HangupWhat) are safe to call from any goroutine; the
// Starlark methods run on the call's thread.
type Session struct {
	call *Call
	ctl  channelCtl
	log  hclog.Logger

	mu          sync.Mutex
	uuid        string
	events      *esl.Subscription
	asked       bool // stateEvents were asked of the switch
	answered    bool
	mediaReady  bool
	bridged     bool
	hungUp      bool
	lost        error // the connection went away without a hangup
	state       string
	cause       string
	final       *esl.Event // the last CHANNEL_HANGUP[_COMPLETE]: variables after hangup
	hook        starlark.Callable
	hookArgs    starlark.Value
	hookTaken   bool
	cb          starlark.Callable
	cbArgs      starlark.Value
	autoHangup  bool
	transferred bool
	// originated is set for a leg this Session originated: it is hung up
	// when the script ends (as CoreSession::destroy does for S_HUP).
	originated bool
	// ownHook: this Session (freeswitch.Session(...)) runs its hangup hook
	// itself, on the script's thread, at the first call of one of its
	// methods after the leg hung up (mod_lua's check_hangup_hook); the
	// handler's session has the server run it.
	ownHook bool
	// mediaBroken: the input callback stopped the last media app.
	mediaBroken bool
	// bridging: freeswitch.bridge is running on this (a-)leg.
	bridging bool
	// typeahead holds the keys the caller pressed that no app collected
	// and no input callback took: the playback app and the socket's park
	// dequeue them, where mod_lua leaves them for the next getDigits. They
	// are given back to the channel (uuid_recv_dtmf) before the next
	// digit-collecting method.
	typeahead string
	// dtmfTaken: the running app or the input callback owns DTMF events.
	dtmfTaken bool
	ttsEngine string
	ttsVoice  string
	destroyed bool
	// bg is the background media startMedia started (session_media.go).
	bg *MediaHandle
}

var (
	_ starlark.HasAttrs   = (*Session)(nil)
	_ starlark.Comparable = (*Session)(nil)
)

// NewOutboundSession returns the Session of a call that reached fsstar
// through the outbound socket: conn is its connection, call its per-call
// state (whose Conn it sets when empty). It talks to the switch only when the
// script calls a method. Its initial state (answered, Channel-State) comes
// from the connect reply; put OutboundEvents() in esl.Server.Events to spare
// the one subscription round trip of the first method call.
//
// The Session notices the hangup from conn itself: media methods then return
// at once and ready() is False. call.Context should therefore outlive the
// hangup by a grace period (and end when the server gives up on the script),
// rather than be the handler's context, which ends at the hangup: a script
// needs a moment to see ready() turn False and finish. When the script has
// ended the server does, in this order: hang up (AutoHangup, Ready and not
// Transferred) or send resume (not AutoHangup); wait for the hangup
// (conn.Done); run the hook once: fn, args, ok := TakeHangupHook(), then
// fn(session, HangupWhat()[, args]) (engine.HangupHook does that); Close the
// call.
func NewOutboundSession(call *Call, conn *esl.Conn) *Session {
	if call == nil {
		call = &Call{}
	}
	if call.Conn == nil {
		call.Conn = conn
	}
	log := call.Logger
	if log == nil {
		log = conn.Logger()
	}
	s := newSession(call, outboundCtl{conn}, conn.UUID(), log)
	s.observe(conn.Channel())
	return s
}

func newSession(call *Call, ctl channelCtl, uuid string, log hclog.Logger) *Session {
	if log == nil {
		log = call.Logger
	}
	if log == nil {
		log = hclog.NewNullLogger()
	}
	s := &Session{call: call, ctl: ctl, uuid: uuid, log: log, autoHangup: true}
	if uuid != "" {
		s.events = ctl.listen(esl.Match{UUID: uuid, Names: sessionEvents, Buffer: sessionQueue})
	}
	return s
}

// UUID returns the channel's uuid ("" for a Session() not yet originated).
func (s *Session) UUID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.uuid
}

// AutoHangup reports whether the server should hang the call up when the
// script ends (true unless the script called setAutoHangup(False)). When it
// is false the server sends "resume" so the dialplan goes on.
func (s *Session) AutoHangup() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.autoHangup
}

// Transferred reports whether the script transferred the call away
// (transfer(), or execute("transfer", ...)): the server must not hang it up.
func (s *Session) Transferred() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.transferred
}

// Ready reports whether the channel is up, as far as the events seen so far
// tell, and its connection too (session.ready() is also False after
// destroy(); Ready is not, so that the server still hangs up or resumes a
// channel the script forgot).
func (s *Session) Ready() bool {
	s.checkDown() // not sync: the script's thread alone reads the event queue
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.uuid != "" && !s.hungUp && s.lost == nil
}

func (s *Session) readyLocked() bool {
	return s.uuid != "" && !s.hungUp && s.lost == nil && !s.destroyed
}

// HangupHook returns the hook set by setHangupHook, with its args (nil when
// setHangupHook got none: call fn(session, what) then, as mod_python does).
func (s *Session) HangupHook() (fn starlark.Callable, args starlark.Value, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hook, s.hookArgs, s.hook != nil
}

// TakeHangupHook is HangupHook for the one caller that runs the hook: it
// returns the hook once and then ok == false, so the hook runs exactly once
// however many goroutines race to run it.
func (s *Session) TakeHangupHook() (fn starlark.Callable, args starlark.Value, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hook == nil || s.hookTaken {
		return nil, nil, false
	}
	s.hookTaken = true
	return s.hook, s.hookArgs, true
}

// runOwnHook runs the hangup hook of a freeswitch.Session(...) leg on the
// script's thread once the leg has hung up or was transferred away. An
// error in the hook is the method's error.
func (s *Session) runOwnHook(thread *starlark.Thread) error {
	s.mu.Lock()
	due := s.ownHook && s.hook != nil && !s.hookTaken && (s.hungUp || s.transferred || s.lost != nil)
	s.mu.Unlock()
	if !due {
		return nil
	}
	fn, args, ok := s.TakeHangupHook()
	if !ok {
		return nil
	}
	argv := starlark.Tuple{s, starlark.String(s.HangupWhat())}
	if args != nil {
		argv = append(argv, args)
	}
	_, err := starlark.Call(thread, fn, argv, nil)
	return err
}

// HangupWhat is the `what` argument of the hangup hook: "transfer" when the
// script transferred the call away, else "hangup".
func (s *Session) HangupWhat() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.transferred {
		return "transfer"
	}
	return "hangup"
}

// HangupCause returns the hangup cause seen so far ("" while up).
func (s *Session) HangupCause() string {
	s.checkDown()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cause
}

func (s *Session) String() string { return s.UUID() }
func (s *Session) Type() string   { return "Session" }
func (s *Session) Freeze()        {} // a Session is the call's own, never shared between calls
func (s *Session) Truth() starlark.Bool {
	return starlark.True
}
func (s *Session) Hash() (uint32, error) {
	u := s.UUID()
	if u == "" {
		return 0, errors.New("unhashable: a Session without a channel")
	}
	return starlark.String(u).Hash()
}

// CompareSameType makes two Session values of the same channel equal.
func (s *Session) CompareSameType(op syntax.Token, y starlark.Value, depth int) (bool, error) {
	t := y.(*Session)
	switch op {
	case syntax.EQL:
		return s == t || (s.UUID() != "" && s.UUID() == t.UUID()), nil
	case syntax.NEQ:
		return !(s == t || (s.UUID() != "" && s.UUID() == t.UUID())), nil
	}
	return false, fmt.Errorf("%s not supported for Session", op)
}

// Attr returns uuid, a field of sessionFields or a method of sessionMethods.
func (s *Session) Attr(name string) (starlark.Value, error) {
	if name == "uuid" {
		return starlark.String(s.UUID()), nil
	}
	if f, ok := sessionFields[name]; ok {
		if s.ctl != nil {
			s.sync() // cause and hook_state follow the channel's events
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		return f(s), nil
	}
	return sessionMethods.attr(s, "Session", name)
}

// AttrNames lists uuid, the fields of sessionFields and the methods of
// sessionMethods.
func (s *Session) AttrNames() []string {
	names := append([]string{"uuid"}, sessionMethods.names()...)
	for n := range sessionFields {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// sessionFields are CoreSession's public fields, read under s.mu: what
// set_tts_params chose (tts_name, voice_name, None before), flags (0) and
// allocated (1 while the Session has a channel and was not destroyed).
// cause and hook_state are opaque userdata under mod_lua (seen on the
// switch): a script cannot read them there; fsstar gives their names, as
// hangupCause() and getState() do.
var sessionFields = map[string]func(s *Session) starlark.Value{
	"tts_name":   func(s *Session) starlark.Value { return noneIfEmpty(s.ttsEngine) },
	"voice_name": func(s *Session) starlark.Value { return noneIfEmpty(s.ttsVoice) },
	"flags":      func(*Session) starlark.Value { return starlark.MakeInt(0) },
	"allocated": func(s *Session) starlark.Value {
		if s.uuid != "" && !s.destroyed {
			return starlark.MakeInt(1)
		}
		return starlark.MakeInt(0)
	},
	"cause": func(s *Session) starlark.Value {
		if s.cause != "" {
			return starlark.String(s.cause)
		}
		return starlark.String("NONE")
	},
	"hook_state": func(s *Session) starlark.Value {
		if s.state == "" {
			return starlark.String("CS_NEW")
		}
		return starlark.String(s.state)
	},
}

func noneIfEmpty(v string) starlark.Value {
	if v == "" {
		return starlark.None
	}
	return starlark.String(v)
}

// sessionRefused are mod_lua / mod_python Session names that ESL cannot
// express: calling them fails with an error naming them.
//
// setPrivate and setDTMFCallback take a C pointer: under mod_lua every
// script value fails with "expected 'void *'" (seen on the switch), so they
// fail the same way here; getPrivate, which can then only give nil there,
// gives None (sessionMethods).
var sessionRefused = map[string]string{
	"insertFile":        "no ESL command edits a file; play the parts in turn with streamFile",
	"setPrivate":        "it takes a C pointer (void *), which no script value is, as under mod_lua; use setVariable",
	"setDTMFCallback":   "it takes a C function pointer (void *), which no script value is, as under mod_lua; use setInputCallback",
	"setLUA":            "no in-switch interpreter",
	"setPython":         "no in-switch interpreter",
	"check_hangup_hook": "the server runs the hangup hook",
	"run_dtmf_callback": "DTMF reaches the input callback while media runs",
}

// sync reads the events queued for the session and updates its state.
func (s *Session) sync() {
	s.mu.Lock()
	sub := s.events
	s.mu.Unlock()
	if sub != nil {
		for ev := sub.TryNext(); ev != nil; ev = sub.TryNext() {
			s.observe(ev)
		}
		s.checkSub(sub)
	}
	s.checkDown()
}

// checkSub replaces a subscription that overflowed (the script did not read
// its events for a long time); state events may have been lost, the next
// ones correct the state.
func (s *Session) checkSub(sub *esl.Subscription) {
	if err := sub.Err(); errors.Is(err, esl.ErrOverflow) {
		s.log.Warn("session event queue overflowed; events were lost", "queue", sub.Cap())
		s.mu.Lock()
		if s.events == sub && !s.destroyed {
			s.events = s.ctl.listen(esl.Match{UUID: s.uuid, Names: sessionEvents, Buffer: sessionQueue})
		}
		s.mu.Unlock()
	}
}

// checkDown looks at the connection: a hangup it saw, or its loss.
func (s *Session) checkDown() {
	err := s.ctl.down()
	if err == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if herr, ok := errors.AsType[*esl.HangupError](err); ok {
		s.hungUp = true
		if s.cause == "" {
			s.cause = herr.Cause
		}
		if herr.Event != nil && s.final == nil {
			s.final = herr.Event
		}
		if s.state == "" || !strings.HasPrefix(s.state, "CS_HANGUP") && s.state != "CS_REPORTING" && s.state != "CS_DESTROY" {
			s.state = "CS_HANGUP"
		}
		return
	}
	if s.lost == nil && !s.hungUp {
		s.lost = err
	}
}

// observe updates the state from one event about the channel (or the connect
// reply's channel data).
func (s *Session) observe(ev *esl.Event) {
	if ev == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.uuid != "" && ev.UniqueID() != "" && ev.UniqueID() != s.uuid {
		return
	}
	if st := ev.Get("Channel-State"); st != "" {
		s.state = st
	}
	switch ev.Get("Answer-State") {
	case "answered":
		s.answered, s.mediaReady = true, true
	case "early":
		s.mediaReady = true
	}
	switch ev.Name() {
	case "CHANNEL_ANSWER":
		s.answered, s.mediaReady = true, true
	case "CHANNEL_PROGRESS_MEDIA":
		s.mediaReady = true
	case "CHANNEL_BRIDGE":
		s.bridged = true
	case "CHANNEL_UNBRIDGE":
		s.bridged = false
	case "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE":
		s.hungUp = true
		if c := ev.Get("Hangup-Cause"); c != "" {
			s.cause = c
		}
		s.final = ev
	case "DTMF":
		if d := ev.Get("DTMF-Digit"); len(d) == 1 && !s.dtmfTaken {
			s.typeahead += d
		}
	case "CHANNEL_EXECUTE_COMPLETE":
		// The socket (or park) app that holds the channel for fsstar ended
		// while the channel is up: something moved the call on (a
		// transfer by another client, play_and_get_digits'
		// transfer_on_failure, a phone's transfer). As CF_TRANSFER under
		// mod_lua: ready() is False and the call is not hung up at the
		// script's end.
		//
		// Not so for a leg the script originated or attached (ownHook):
		// nothing holds it, so the switch's transfer or another client's
		// uuid_bridge completes at once and clears CF_TRANSFER; mod_lua's
		// ready() is true again and its destroy() hangs the leg up
		// (scenario bridged_by_other_client).
		if app := ev.Get("Application"); (app == "socket" || app == "park") && !s.hungUp && !s.bridging && !channelDown(ev) && !s.ownHook {
			s.transferred = true
		}
	}
}

// channelDown reports whether an event shows the channel hanging up.
func channelDown(ev *esl.Event) bool {
	switch ev.Get("Channel-State") {
	case "CS_HANGUP", "CS_REPORTING", "CS_DESTROY":
		return true
	}
	return ev.Get("Answer-State") == "hangup"
}

// channelCtl is how a Session reaches its channel: its own outbound
// connection, or the inbound client and the uuid.
type channelCtl interface {
	// execute runs app; queued (if set) is called once the switch has
	// accepted the sendmsg.
	execute(ctx context.Context, uuid, app, arg string, queued func()) (*esl.Event, error)
	// hangup asks the switch to hang the channel up (sendmsg
	// call-command hangup); it returns once the switch accepted it.
	hangup(ctx context.Context, uuid, cause string) error
	api(ctx context.Context, cmd string) (string, error)
	subscribe(ctx context.Context, names ...string) error
	listen(m esl.Match) *esl.Subscription
	sendEvent(ctx context.Context, ev *esl.Event) error
	// down returns why the channel cannot be reached any more: a
	// *esl.HangupError, or the connection's end. Nil while it can.
	down() error
	// client is the inbound client, if the control goes through one.
	client() *esl.Client
	// canAPI reports whether api commands reach the switch (not over a
	// socket without full control).
	canAPI() bool
}

type outboundCtl struct{ conn *esl.Conn }

func (o outboundCtl) execute(ctx context.Context, _, app, arg string, queued func()) (*esl.Event, error) {
	return o.conn.ExecuteWith(ctx, app, arg, esl.ExecuteOptions{EventLock: true, Queued: queued})
}
func (o outboundCtl) hangup(ctx context.Context, _, cause string) error {
	return o.conn.Hangup(ctx, cause)
}
func (o outboundCtl) api(ctx context.Context, cmd string) (string, error) {
	return o.conn.API(ctx, cmd)
}
func (o outboundCtl) subscribe(ctx context.Context, names ...string) error {
	if !o.conn.Full() {
		return nil // myevents: every event of the channel comes already
	}
	return o.conn.Subscribe(ctx, names...)
}
func (o outboundCtl) listen(m esl.Match) *esl.Subscription { return o.conn.Listen(m) }
func (o outboundCtl) sendEvent(ctx context.Context, ev *esl.Event) error {
	return connSendEvent(ctx, o.conn, ev)
}
func (o outboundCtl) down() error         { return o.conn.Err() }
func (o outboundCtl) client() *esl.Client { return nil }
func (o outboundCtl) canAPI() bool        { return o.conn.Full() }

// inboundCtl controls a channel by uuid over the inbound client. Its event
// subscriptions are the client's, shared with other calls: it never
// unsubscribes.
type inboundCtl struct{ c *esl.Client }

func (i inboundCtl) execute(ctx context.Context, uuid, app, arg string, queued func()) (*esl.Event, error) {
	return i.c.Execute(ctx, uuid, app, arg, esl.ExecuteOptions{EventLock: true, Queued: queued})
}
func (i inboundCtl) hangup(ctx context.Context, uuid, cause string) error {
	return i.c.Hangup(ctx, uuid, cause)
}
func (i inboundCtl) api(ctx context.Context, cmd string) (string, error) { return i.c.API(ctx, cmd) }
func (i inboundCtl) subscribe(ctx context.Context, names ...string) error {
	return i.c.Subscribe(ctx, names...)
}
func (i inboundCtl) listen(m esl.Match) *esl.Subscription { return i.c.Listen(m) }
func (i inboundCtl) sendEvent(ctx context.Context, ev *esl.Event) error {
	_, err := i.c.SendEvent(ctx, ev)
	return err
}
func (i inboundCtl) down() error         { return nil }
func (i inboundCtl) client() *esl.Client { return i.c }
func (i inboundCtl) canAPI() bool        { return true }
