package esl

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
)

// core is one ESL connection, shared by the inbound Client and the outbound
// Conn. Commands are written under a lock and their replies matched in send
// order (the switch answers in order). One goroutine, run, reads frames and
// routes them: replies to the waiting caller, events to the router and to
// one-shot waiters (bgapi jobs, executes). It never blocks on a consumer.
type core struct {
	nc           net.Conn
	rd           *Reader
	logp         atomic.Pointer[hclog.Logger]
	router       *router
	writeTimeout time.Duration
	peer         string

	// onEvent and onNotice, when set before run starts, see every event and
	// every disconnect notice (the reader calls them: they must not block).
	onEvent  func(*Event)
	onNotice func(*Frame)
	onDone   func(error)

	wmu sync.Mutex // serializes writes with the queueing of their calls

	mu       sync.Mutex
	pending  []*call
	jobs     map[string]*waiter // by Job-UUID
	execs    map[string]*waiter // by Application-UUID (our Event-UUID)
	err      error              // why the connection ended; set once
	hangup   *HangupError       // outbound: the controlled call hung up
	closing  bool               // the owner closed it
	rejected bool               // text/rude-rejection seen
	ended    bool               // a disconnect notice said the session is over

	banner chan *Frame
	done   chan struct{} // closed when run has returned and everything failed

	frames atomic.Uint64

	// execPrefix and execSeq make the Event-UUIDs of executes (execID).
	execPrefix string
	execSeq    atomic.Uint64
}

// call is one command waiting for its reply.
type call struct {
	cmd string
	ch  chan result // buffered: the reader never waits
}

// waiter waits for one event: a BACKGROUND_JOB or a CHANNEL_EXECUTE_COMPLETE.
// The reader completes it without blocking; any number of goroutines may
// wait on done.
type waiter struct {
	uuid string // channel whose hangup fails the wait ("" for none)
	once sync.Once
	done chan struct{}
	res  result
}

func newWaiter(uuid string) *waiter { return &waiter{uuid: uuid, done: make(chan struct{})} }

// deliver completes the wait; later deliveries are ignored.
func (w *waiter) deliver(r result) {
	w.once.Do(func() {
		w.res = r
		close(w.done)
	})
}

// wait returns the event or error delivered, or context.Cause(ctx).
func (w *waiter) wait(ctx context.Context) (*Event, error) {
	select {
	case <-w.done:
		return w.res.ev, w.res.err
	case <-ctx.Done():
		select {
		case <-w.done:
			return w.res.ev, w.res.err
		default:
			return nil, context.Cause(ctx)
		}
	}
}

type result struct {
	f   *Frame
	ev  *Event
	err error
}

func newCore(nc net.Conn, limits Limits, log hclog.Logger, r *router, writeTimeout time.Duration) *core {
	if writeTimeout <= 0 {
		writeTimeout = 10 * time.Second
	}
	c := &core{
		nc:           nc,
		rd:           NewReader(nc, limits),
		router:       r,
		writeTimeout: writeTimeout,
		peer:         nc.RemoteAddr().String(),
		jobs:         map[string]*waiter{},
		execs:        map[string]*waiter{},
		banner:       make(chan *Frame, 1),
		done:         make(chan struct{}),
		execPrefix:   randomHex(4),
	}
	c.setLogger(log)
	return c
}

// setLogger replaces the logger (the outbound side adds the call's uuid
// once the connect reply has named it).
func (c *core) setLogger(l hclog.Logger) { c.logp.Store(&l) }

func (c *core) lg() hclog.Logger { return *c.logp.Load() }

// run is the reader goroutine.
func (c *core) run() {
	for {
		f, err := c.rd.ReadFrame()
		if err != nil {
			var fe *FrameError
			if errors.As(err, &fe) && fe.Recoverable {
				if lost := c.skipBadFrame(fe); lost != nil {
					c.fail(lost)
					return
				}
				continue
			}
			c.fail(err)
			return
		}
		c.frames.Add(1)
		c.dispatch(f)
	}
}

// skipBadFrame handles a bad frame the reader skipped whole. Replies are
// matched to commands by order, so a skipped reply must not go unnoticed:
// a reply (known by its Content-Type) fails the oldest pending command with
// the frame error; a frame of unknown type while commands wait (for a reply,
// an execute's CHANNEL_EXECUTE_COMPLETE or a bgapi's BACKGROUND_JOB) may have
// been what they wait for, so the connection must end (the returned error;
// waiting commands fail with ErrConnLost) rather than leave them waiting
// for ever. An event, a log line, or any frame while nothing waits is skipped.
func (c *core) skipBadFrame(fe *FrameError) error {
	switch fe.ContentType {
	case TypeEventPlain, TypeEventJSON, TypeEventXML, TypeLogData:
		c.lg().Warn("skipping a bad frame", "peer", c.peer, "content_type", fe.ContentType, "error", fe)
		return nil
	case TypeCommandReply, TypeAPIResponse:
		c.mu.Lock()
		if len(c.pending) > 0 {
			cl := c.pending[0]
			c.pending[0] = nil
			c.pending = c.pending[1:]
			c.mu.Unlock()
			c.lg().Warn("a command's reply was a bad frame", "peer", c.peer, "content_type", fe.ContentType, "error", fe)
			cl.ch <- result{err: fe}
			return nil
		}
		c.mu.Unlock()
	default:
		// Unknown type: it may have been a reply, or the CHANNEL_EXECUTE_COMPLETE
		// or BACKGROUND_JOB someone waits for, which would then wait forever.
		c.mu.Lock()
		n := len(c.pending) + len(c.execs) + len(c.jobs)
		c.mu.Unlock()
		if n > 0 {
			c.lg().Warn("bad frame of unknown type while commands wait for replies or events: closing the connection", "peer", c.peer, "error", fe)
			return fmt.Errorf("a bad frame may have been the reply or event a command waits for: %w", fe)
		}
	}
	c.lg().Warn("skipping a bad frame", "peer", c.peer, "content_type", fe.ContentType, "error", fe)
	return nil
}

func (c *core) dispatch(f *Frame) {
	switch ct := f.ContentType(); ct {
	case TypeCommandReply, TypeAPIResponse:
		c.mu.Lock()
		if len(c.pending) == 0 {
			c.mu.Unlock()
			c.lg().Warn("reply with no command waiting for it", "peer", c.peer, "content_type", ct, "reply", truncate(f.ReplyText(), 80))
			return
		}
		cl := c.pending[0]
		c.pending[0] = nil
		c.pending = c.pending[1:]
		c.mu.Unlock()
		cl.ch <- result{f: f}
	case TypeEventPlain, TypeEventJSON, TypeEventXML:
		ev, err := ParseEvent(f)
		if err != nil {
			c.lg().Warn("skipping an event that does not decode", "peer", c.peer, "error", err)
			return
		}
		c.event(ev)
	case TypeLogData:
		ev := &Event{Body: f.Body}
		for _, h := range f.Headers {
			if h.Name != "Content-Type" && h.Name != "Content-Length" {
				ev.Headers = append(ev.Headers, h)
			}
		}
		c.router.route(ev, true)
	case TypeAuthRequest:
		select {
		case c.banner <- f:
		default:
		}
	case TypeDisconnectNotice:
		if f.Headers.Get("Content-Disposition") != "linger" {
			c.mu.Lock()
			c.ended = true
			c.mu.Unlock()
		}
		c.lg().Debug("disconnect notice", "peer", c.peer, "disposition", f.Headers.Get("Content-Disposition"),
			"uuid", f.Headers.Get("Controlled-Session-UUID"))
		if c.onNotice != nil {
			c.onNotice(f)
		}
	case TypeRudeRejection:
		c.mu.Lock()
		c.rejected = true
		c.mu.Unlock()
		c.lg().Warn("switch rejected the connection by ACL", "peer", c.peer, "text", strings.TrimSpace(string(f.Body)))
	default:
		c.lg().Warn("skipping a frame of unknown type", "peer", c.peer, "content_type", ct)
	}
}

// deliverTo hands ev to the one-shot waiter registered under id in m
// (c.jobs or c.execs), if any, and forgets it.
func (c *core) deliverTo(m map[string]*waiter, id string, ev *Event) {
	if id == "" {
		return
	}
	c.mu.Lock()
	w := m[id]
	delete(m, id)
	c.mu.Unlock()
	if w != nil {
		w.deliver(result{ev: ev})
	}
}

// event routes one event: one-shot waiters first, then subscriptions.
func (c *core) event(ev *Event) {
	switch ev.Name() {
	case "BACKGROUND_JOB":
		c.deliverTo(c.jobs, ev.Get("Job-UUID"), ev)
	case "CHANNEL_EXECUTE_COMPLETE":
		c.deliverTo(c.execs, ev.Get("Application-UUID"), ev)
	case "CHANNEL_HANGUP":
		c.hangupSeen(ev)
	}
	if c.onEvent != nil {
		c.onEvent(ev)
	}
	c.router.route(ev, false)
}

// hangupSeen fails the executes waiting on the channel that hung up.
func (c *core) hangupSeen(ev *Event) {
	uuid := ev.UniqueID()
	herr := &HangupError{UUID: uuid, Cause: ev.Get("Hangup-Cause"), Event: ev}
	var ws []*waiter
	c.mu.Lock()
	for id, w := range c.execs {
		if w.uuid == uuid {
			ws = append(ws, w)
			delete(c.execs, id)
		}
	}
	c.mu.Unlock()
	for _, w := range ws {
		w.deliver(result{err: herr})
	}
}

// setHangup records that the controlled call hung up (outbound): later
// commands about it and the final close report herr.
func (c *core) setHangup(herr *HangupError) {
	c.mu.Lock()
	if c.hangup == nil {
		c.hangup = herr
	}
	c.mu.Unlock()
}

// fail ends the connection: every pending command and waiter fails at once
// with the reason, and done is closed. Only the reader calls it.
func (c *core) fail(readErr error) {
	c.nc.Close()
	c.mu.Lock()
	switch {
	case c.err != nil:
	case c.closing:
		c.err = ErrClosed
	case c.rejected:
		c.err = ErrRejected
	case c.hangup != nil:
		c.err = c.hangup
	case c.ended:
		c.err = fmt.Errorf("%w: %s closed the session (disconnect notice)", ErrConnLost, c.peer)
	default:
		c.err = fmt.Errorf("%w: %s: %w", ErrConnLost, c.peer, readErr)
	}
	err := c.err
	pending, jobs, execs := c.pending, c.jobs, c.execs
	c.pending, c.jobs, c.execs = nil, map[string]*waiter{}, map[string]*waiter{}
	c.mu.Unlock()
	for _, cl := range pending {
		cl.ch <- result{err: err}
	}
	for _, w := range jobs {
		w.deliver(result{err: err})
	}
	for _, w := range execs {
		w.deliver(result{err: err})
	}
	if !errors.Is(err, ErrClosed) {
		c.lg().Debug("connection ended", "peer", c.peer, "error", err)
	}
	if c.onDone != nil {
		c.onDone(err)
	}
	close(c.done)
}

// close shuts the connection down from the owner's side and waits for the
// reader to finish. It is idempotent.
func (c *core) close() {
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	c.nc.Close()
	<-c.done
}

// Err returns why the connection ended, or nil while it is up.
func (c *core) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// start writes one command and queues its call; the reply is collected with
// wait. Commands started by one goroutine are answered in the same order.
func (c *core) start(ctx context.Context, line string, h Headers, body []byte) (*call, error) {
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	buf, err := AppendCommand(nil, line, h, body)
	if err != nil {
		return nil, err
	}
	cl := &call{cmd: line, ch: make(chan result, 1)}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return nil, err
	}
	c.pending = append(c.pending, cl)
	c.mu.Unlock()
	deadline := time.Now().Add(c.writeTimeout)
	ctxDeadline := false
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline, ctxDeadline = d, true
	}
	_ = c.nc.SetWriteDeadline(deadline)
	n, err := c.nc.Write(buf)
	if err == nil {
		return cl, nil
	}
	if n == 0 && ctxDeadline && errors.Is(err, os.ErrDeadlineExceeded) {
		// The context's deadline passed before anything was sent (a
		// command started with little time left, on a busy machine): the
		// stream is still in step, and the connection, which other
		// commands share, stays up. Only this command fails.
		c.mu.Lock()
		if k := len(c.pending) - 1; k >= 0 && c.pending[k] == cl {
			c.pending = c.pending[:k] // the last: writes are serialised by wmu
		}
		c.mu.Unlock()
		if cause := context.Cause(ctx); cause != nil {
			return nil, cause
		}
		return nil, fmt.Errorf("esl: %s: not sent before the context's deadline: %w", line, context.DeadlineExceeded)
	}
	// A partial write leaves the stream out of step: the connection is
	// done. Closing it makes the reader fail every pending call.
	c.nc.Close()
	<-c.done
	return nil, c.Err()
}

// wait returns the reply to cl, or context.Cause(ctx) (ctx.Err() unless a
// cause was given, e.g. the *HangupError of a handler's context) when ctx
// ends first; the reply then arrives later and is discarded, and the order
// of replies is kept.
func (c *core) wait(ctx context.Context, cl *call) (*Frame, error) {
	select {
	case r := <-cl.ch:
		return r.f, r.err
	case <-ctx.Done():
		select {
		case r := <-cl.ch: // the reply won the race: prefer it
			return r.f, r.err
		default:
			return nil, context.Cause(ctx)
		}
	}
}

// command sends one command and returns its reply frame. A command/reply
// whose Reply-Text starts with -ERR is returned as a *CommandError.
func (c *core) command(ctx context.Context, line string, h Headers, body []byte) (*Frame, error) {
	cl, err := c.start(ctx, line, h, body)
	if err != nil {
		return nil, err
	}
	f, err := c.wait(ctx, cl)
	if err != nil {
		return nil, err
	}
	if f.ContentType() == TypeCommandReply {
		if err := replyError(line, f.ReplyText()); err != nil {
			return f, err
		}
	}
	return f, nil
}

// api runs a blocking api command and returns its output.
func (c *core) api(ctx context.Context, cmd string) (string, error) {
	line := "api " + cmd
	f, err := c.command(ctx, line, nil, nil)
	if err != nil {
		return "", err
	}
	if f.ContentType() != TypeAPIResponse {
		// Refused before running (e.g. -ERR command not found in static mode)
		// or a switch that answered in an unexpected way.
		return "", &CommandError{Command: line, Reply: "unexpected " + f.ContentType() + " reply: " + f.ReplyText()}
	}
	out := string(f.Body)
	if err := replyError(line, out); err != nil {
		return out, err
	}
	return out, nil
}

// register adds a one-shot waiter to m under key.
func (c *core) register(m func() map[string]*waiter, key, uuid string) (*waiter, error) {
	w := newWaiter(uuid)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return nil, c.err
	}
	if c.hangup != nil && uuid != "" && uuid == c.hangup.UUID {
		return nil, c.hangup
	}
	m()[key] = w
	return w, nil
}

func (c *core) unregister(m func() map[string]*waiter, key string) {
	c.mu.Lock()
	delete(m(), key)
	c.mu.Unlock()
}

func (c *core) jobMap() map[string]*waiter  { return c.jobs }
func (c *core) execMap() map[string]*waiter { return c.execs }

// pendingCount returns the number of commands waiting for a reply.
func (c *core) pendingCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

// markClosing records that the owner is closing the connection, so that
// its end is reported as ErrClosed.
func (c *core) markClosing() {
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
}

// hangupErr returns the recorded hangup of the controlled call, or nil.
func (c *core) hangupErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hangup == nil {
		return nil
	}
	return c.hangup
}
