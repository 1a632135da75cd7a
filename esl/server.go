package esl

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Handler serves one outbound connection (one call). ctx is cancelled when
// the call hangs up (CHANNEL_HANGUP or a disconnect notice), when the
// connection is lost, and when the Server shuts down; context.Cause(ctx)
// (or c.Err()) tells which. The Server closes c when ServeESL returns.
type Handler interface {
	ServeESL(ctx context.Context, c *Conn)
}

// HandlerFunc lets an ordinary function be a Handler.
type HandlerFunc func(ctx context.Context, c *Conn)

// ServeESL calls f(ctx, c).
func (f HandlerFunc) ServeESL(ctx context.Context, c *Conn) { f(ctx, c) }

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown or
// Close, and is the cause of the handlers' contexts when the server stops.
var ErrServerClosed = errors.New("esl: server closed")

// DefaultServerAddr is where a Server listens when Addr is empty: loopback only.
const DefaultServerAddr = "127.0.0.1:8040"

// Server accepts outbound Event Socket connections (dialplan
// `socket 127.0.0.1:8040 async full`) and runs Handler for each, like
// net/http.Server. For every connection it sends connect, reads the channel
// data, and subscribes narrowly: "filter Unique-ID <uuid>" and "event plain
// CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE" (+ DTMF
// and Events), plus "linger" — in one round trip. Without full control the
// switch refuses event and linger, so "myevents" is used instead.
type Server struct {
	// Addr is the TCP address to listen on (default DefaultServerAddr).
	Addr string
	// Handler serves each call.
	Handler Handler
	// Logger receives the server's logs; lines about a call carry its uuid.
	Logger hclog.Logger
	// Limits bound the frames accepted.
	Limits Limits
	// EventBuffer is the default queue size of subscriptions.
	EventBuffer int
	// MyEvents subscribes with "myevents" (every event of the channel)
	// instead of the narrow filter; it costs the switch more CPU.
	MyEvents bool
	// DTMF adds DTMF to the events subscribed at connect.
	DTMF bool
	// Events adds more event names to the subscription at connect.
	Events []string
	// NoLinger skips "linger"; the switch then closes the socket at hangup
	// and CHANNEL_HANGUP_COMPLETE is lost.
	NoLinger bool
	// ConnectTimeout bounds connect and the subscription (default 5s).
	ConnectTimeout time.Duration
	// WriteTimeout bounds the write of one command (default 10s).
	WriteTimeout time.Duration
	// CancelGrace is how long Shutdown waits, once its context has ended
	// and the handlers' contexts are cancelled, before it closes the
	// connections of handlers still running (default 1s).
	CancelGrace time.Duration

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	closed    bool // Close was called: nothing more is accepted
	conns     map[*Conn]struct{}
	raw       map[net.Conn]struct{} // accepted, not yet a Conn
	stopped   bool
	base      context.Context
	stop      context.CancelCauseFunc
	wg        sync.WaitGroup
}

func (s *Server) init() {
	if s.base == nil {
		s.base, s.stop = context.WithCancelCause(context.Background())
		s.listeners = map[net.Listener]struct{}{}
		s.conns = map[*Conn]struct{}{}
		s.raw = map[net.Conn]struct{}{}
	}
}

func (s *Server) logger() hclog.Logger {
	if s.Logger == nil {
		return hclog.NewNullLogger()
	}
	return s.Logger
}

// ListenAndServe listens on Addr and calls Serve.
func (s *Server) ListenAndServe() error {
	addr := s.Addr
	if addr == "" {
		addr = DefaultServerAddr
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("esl: listen on %s: %w", addr, err)
	}
	return s.Serve(l)
}

// Serve accepts connections on l until Shutdown or Close, and returns
// ErrServerClosed then; l is closed on return.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	s.init()
	if s.stopped {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	// The accept loop counts in the drain: after Shutdown it still accepts
	// the connections already queued (see halt).
	s.wg.Add(1)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
		l.Close()
		s.wg.Done()
	}()
	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			stopped := s.stopped
			s.mu.Unlock()
			if stopped {
				return ErrServerClosed
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("esl: accept on %s: %w", l.Addr(), err)
			}
			// Out of file descriptors and the like: wait and try again.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.logger().Warn("accept failed; retrying", "error", err, "delay", delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return ErrServerClosed
		}
		// After Shutdown, a connection accepted here was queued before it:
		// the switch has handed that call over, so it is served and drained.
		s.raw[nc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(nc)
	}
}

// serveConn runs one call: connect, subscribe, handler, close.
func (s *Server) serveConn(nc net.Conn) {
	defer s.wg.Done()
	log := s.logger().With("peer", nc.RemoteAddr().String())
	c, err := s.handshake(nc, log)
	s.mu.Lock()
	delete(s.raw, nc)
	// A connection accepted before Shutdown is a call the switch has
	// already handed over: it is served and drained like the others (a
	// drain past its deadline cancels s.base, which fails the handshake).
	if err == nil {
		s.conns[c] = struct{}{}
	}
	s.mu.Unlock()
	if err != nil {
		log.Error("outbound connection setup failed", "error", err)
		if c != nil {
			c.Close()
		}
		return
	}
	defer func() {
		if p := recover(); p != nil {
			c.log.Error("handler panicked", "panic", p)
		}
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.log.Debug("call connection closed", ConnStateKey, ConnClosed)
	}()
	s.Handler.ServeESL(c.ctx, c)
}

// ConnStateKey is the log field that Server puts on the line it logs once
// a call's handler has returned and its connection is closed, with the
// value ConnClosed: a tool that waits for a call's end reads the field,
// never the message.
const (
	ConnStateKey = "conn_state"
	ConnClosed   = "closed"
)

// handshake sends connect, reads the channel data and subscribes.
func (s *Server) handshake(nc net.Conn, log hclog.Logger) (*Conn, error) {
	timeout := s.ConnectTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(s.base, timeout)
	defer cancel()
	r := &router{def: s.EventBuffer}
	k := newCore(nc, s.Limits, log, r, s.WriteTimeout)
	c := &Conn{k: k, router: r, log: log}
	c.ctx, c.cancel = context.WithCancelCause(s.base)
	k.onEvent, k.onNotice, k.onDone = c.onEvent, c.onNotice, c.onDone
	go k.run()

	f, err := k.command(ctx, "connect", nil, nil)
	if err != nil {
		return c, fmt.Errorf("esl: connect: %w", err)
	}
	c.channel = &Event{Headers: f.Headers}
	c.uuid = c.channel.UniqueID()
	if c.uuid == "" {
		return c, errors.New("esl: connect reply names no channel (no Unique-ID)")
	}
	c.async = f.Headers.Get("Socket-Mode") == "async"
	c.full = f.Headers.Get("Control") == "full"
	c.log = log.With("uuid", c.uuid)
	k.setLogger(c.log)

	var cmds []string
	if s.MyEvents || !c.full {
		cmds = append(cmds, "myevents")
	} else {
		names := []string{"CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE"}
		if s.DTMF {
			names = append(names, "DTMF")
		}
		for _, n := range s.Events {
			if !contains(names, n) {
				names = append(names, n)
			}
		}
		c.events = names
		cmds = append(cmds, "filter Unique-ID "+c.uuid, "event plain "+strings.Join(names, " "))
	}
	if !s.NoLinger && c.full {
		cmds = append(cmds, "linger")
		c.lingered = true
	}
	calls := make([]*call, 0, len(cmds))
	for _, line := range cmds {
		cl, err := k.start(ctx, line, nil, nil)
		if err != nil {
			return c, fmt.Errorf("esl: %s: %w", line, err)
		}
		calls = append(calls, cl)
	}
	for i, cl := range calls {
		f, err := k.wait(ctx, cl)
		if err == nil {
			err = replyError(cmds[i], f.ReplyText())
		}
		if err != nil {
			return c, fmt.Errorf("esl: subscribing for call %s: %w", c.uuid, err)
		}
	}
	c.log.Debug("call connected", "mode", f.Headers.Get("Socket-Mode"), "control", f.Headers.Get("Control"))
	return c, nil
}

// Shutdown drains the server like net/http's Server.Shutdown, except that
// it never returns with a handler still running: when ctx ends before the
// calls in flight do, it cancels their handlers' contexts, closes the
// connections of those still running CancelGrace later, and returns only
// once every handler has returned — so it can return after ctx's deadline,
// and it waits for good on a handler that ignores both its context and its
// closed connection. Where net/http differs, in detail:
//
//   - Listeners: net/http closes them at once. Here a listener that has
//     SetDeadline (a *net.TCPListener) keeps accepting for 100ms, so that
//     calls the switch has already handed over, queued in the listen
//     backlog, are served and drained like the others rather than reset;
//     then Serve returns ErrServerClosed and closes it. A listener without
//     SetDeadline is closed at once.
//   - Calls in flight: as in net/http, they run on untouched (their
//     contexts are not cancelled) until their handlers return. A
//     connection still in its connect handshake counts as in flight.
//   - When ctx ends first: net/http returns ctx.Err() at once and leaves the
//     connections open (its Close is the caller's escalation). Here every
//     remaining handler's context is cancelled with cause ErrServerClosed,
//     so scripts can wind down; after CancelGrace (default 1s) the
//     connections of handlers still running are closed, which fails their
//     pending commands; then Shutdown waits for the handlers to return.
//   - Return value: nil when every handler returned before ctx ended,
//     ctx.Err() otherwise. Unlike net/http it never reports an error from
//     closing a listener, and never returns ErrServerClosed.
//   - After Shutdown, as in net/http, the server cannot be reused: Serve
//     (and ListenAndServe, once it has listened) closes its listener and
//     returns ErrServerClosed at once. Shutdown may be called again,
//     concurrently, or after Close: each call waits for the same handlers.
func (s *Server) Shutdown(ctx context.Context) error {
	s.halt()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		s.stop(ErrServerClosed)
		return nil
	case <-ctx.Done():
		s.stop(ErrServerClosed)
		grace := s.CancelGrace
		if grace <= 0 {
			grace = time.Second
		}
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			s.closeConns()
			<-done
		}
		return ctx.Err()
	}
}

// Close stops accepting, cancels the handlers' contexts and closes every
// connection at once, then waits for the handlers to return.
func (s *Server) Close() error {
	s.mu.Lock()
	s.init()
	s.closed = true
	for l := range s.listeners {
		l.Close()
	}
	s.mu.Unlock()
	s.halt()
	s.stop(ErrServerClosed)
	s.closeConns()
	s.wg.Wait()
	return nil
}

// acceptDrain is how long a stopping server keeps accepting the
// connections already queued on its listeners.
const acceptDrain = 100 * time.Millisecond

// halt stops accepting connections; calls in flight go on. A listener that
// supports deadlines first gets one acceptDrain away, so that connections
// the kernel accepted before the Shutdown (calls the switch already handed
// over, waiting in the listen queue) are served rather than reset.
func (s *Server) halt() {
	s.mu.Lock()
	s.init()
	s.stopped = true
	for l := range s.listeners {
		if d, ok := l.(interface{ SetDeadline(time.Time) error }); ok && d.SetDeadline(time.Now().Add(acceptDrain)) == nil {
			continue
		}
		l.Close()
	}
	s.mu.Unlock()
}

func (s *Server) closeConns() {
	s.mu.Lock()
	var cs []*Conn
	for c := range s.conns {
		cs = append(cs, c)
	}
	for nc := range s.raw {
		nc.Close()
	}
	s.mu.Unlock()
	for _, c := range cs {
		c.k.nc.Close() // fails pending calls; the handler's deferred Close finishes
	}
}
