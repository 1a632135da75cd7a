package esl

import (
	"math/rand/v2"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Option configures Dial.
type Option func(*options)

type options struct {
	password     string
	user         string
	log          hclog.Logger
	limits       Limits
	reconnect    *ReconnectPolicy
	eventBuffer  int
	dialTimeout  time.Duration
	writeTimeout time.Duration
	format       string
	onState      func(State, error)
}

func defaultOptions() options {
	return options{
		password:    "ClueCon",
		log:         hclog.NewNullLogger(),
		eventBuffer: DefaultEventBuffer,
		dialTimeout: 5 * time.Second,
		format:      "plain",
	}
}

// WithPassword sets the password sent with auth (default "ClueCon", the
// switch's default).
func WithPassword(password string) Option { return func(o *options) { o.password = password } }

// WithUser authenticates with "userauth user@domain:password" (an
// event_socket user from the directory) instead of plain "auth password".
func WithUser(user string) Option { return func(o *options) { o.user = user } }

// WithLogger sets the logger (default: no logging).
func WithLogger(l hclog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.log = l
		}
	}
}

// WithLimits bounds the frames the client accepts.
func WithLimits(l Limits) Option { return func(o *options) { o.limits = l } }

// WithReconnect makes the client reconnect when the connection drops,
// following p, and restore its event subscriptions and filters.
func WithReconnect(p ReconnectPolicy) Option { return func(o *options) { o.reconnect = &p } }

// WithEventBuffer sets the default queue size of subscriptions (default
// DefaultEventBuffer).
func WithEventBuffer(n int) Option { return func(o *options) { o.eventBuffer = n } }

// WithDialTimeout bounds connecting, the banner and authentication (default 5s).
func WithDialTimeout(d time.Duration) Option { return func(o *options) { o.dialTimeout = d } }

// WithWriteTimeout bounds the write of one command (default 10s); a switch
// that stops reading for longer is treated as lost.
func WithWriteTimeout(d time.Duration) Option { return func(o *options) { o.writeTimeout = d } }

// WithEventFormat chooses the event format asked of the switch: "plain"
// (default), "json" or "xml". All three decode to the same Event.
func WithEventFormat(format string) Option { return func(o *options) { o.format = format } }

// WithStateHook calls fn on every change of connection state, from the
// client's supervising goroutine; err is the reason for StateDisconnected.
// fn must not block for long.
func WithStateHook(fn func(s State, err error)) Option { return func(o *options) { o.onState = fn } }

// State is the state of a Client's connection.
type State int

// Connection states reported to the hook of WithStateHook.
const (
	// StateConnected: authenticated and subscriptions restored.
	StateConnected State = iota
	// StateDisconnected: the connection dropped; a reconnect follows when
	// WithReconnect was given.
	StateDisconnected
	// StateClosed: Close was called, or the connection dropped without a
	// reconnect policy or after the last attempt.
	StateClosed
)

func (s State) String() string {
	switch s {
	case StateConnected:
		return "connected"
	case StateDisconnected:
		return "disconnected"
	case StateClosed:
		return "closed"
	}
	return "unknown"
}

// ReconnectPolicy is a capped exponential backoff with jitter.
type ReconnectPolicy struct {
	// Initial is the first delay (default 100ms).
	Initial time.Duration
	// Max caps the delay (default 30s).
	Max time.Duration
	// Jitter is the fraction of each delay that is random, 0..1 (default 0.5).
	Jitter float64
	// MaxAttempts stops after that many failed attempts in a row; 0 means never.
	MaxAttempts int
}

// delay returns the wait before attempt n (0-based).
func (p ReconnectPolicy) delay(n int) time.Duration {
	initial, max, jitter := p.Initial, p.Max, p.Jitter
	if initial <= 0 {
		initial = 100 * time.Millisecond
	}
	if max <= 0 {
		max = 30 * time.Second
	}
	if jitter <= 0 || jitter > 1 {
		jitter = 0.5
	}
	d := initial
	for i := 0; i < n && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	// Keep (1-jitter) of the delay and randomize the rest.
	fixed := time.Duration(float64(d) * (1 - jitter))
	return fixed + time.Duration(rand.Int64N(int64(d-fixed)+1))
}
