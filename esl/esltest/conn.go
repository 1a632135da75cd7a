package esltest

import (
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/fsstar/fsstar/esl"
	"github.com/hashicorp/go-hclog"
)

const goodbye = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"

// writeTimeout bounds one write to a client that does not read.
const writeTimeout = 5 * time.Second

// conn is one Event Socket connection: inbound (a client dialled the
// switch) or outbound (the switch dialled a socket server for a channel).
// One goroutine (loop) reads commands from a reader goroutine, handles
// them, and is the only writer; events wait in a bounded queue between
// commands, as in mod_event_socket.
type conn struct {
	sw       *Switch
	nc       net.Conn
	id       uint64
	outbound bool
	log      hclog.Logger

	queue     chan qitem
	done      chan struct{}
	closeOnce sync.Once

	mu  sync.Mutex
	sub subscription
	// outbound only
	ch         *Channel
	async      bool
	full       bool
	linger     bool
	lingerTime int // seconds; -1 forever
	resumed    bool
}

// qitem is an event, a log line, or an action (a disconnect notice) to run
// on the connection's goroutine in queue order; an action returning false
// ends the connection.
type qitem struct {
	ev  *esl.Event
	raw []byte
	fn  func() bool
}

func (sw *Switch) newConn(nc net.Conn, outbound bool) *conn {
	c := &conn{
		sw:         sw,
		nc:         nc,
		id:         sw.connIDs.Add(1),
		outbound:   outbound,
		queue:      make(chan qitem, sw.opts.queueLen),
		done:       make(chan struct{}),
		sub:        newSubscription(),
		lingerTime: -1,
	}
	c.log = sw.log.With("conn", c.id, "remote", nc.RemoteAddr().String(), "outbound", outbound)
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if sw.closed {
		return nil
	}
	sw.conns[c] = struct{}{}
	return c
}

// close ends the connection; safe from any goroutine, any number of times.
func (c *conn) close() {
	c.closeOnce.Do(func() {
		close(c.done)
		c.nc.Close()
	})
}

func (c *conn) closed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// finish removes the connection from the switch and closes it.
func (c *conn) finish() {
	c.close()
	c.sw.mu.Lock()
	delete(c.sw.conns, c)
	c.sw.mu.Unlock()
	c.log.Debug("connection closed")
}

// offer queues ev if the connection wants it; a full queue disconnects the
// connection instead of blocking the switch.
func (c *conn) offer(ev *esl.Event, name string) {
	c.mu.Lock()
	ok := c.sub.wants(ev, name)
	c.mu.Unlock()
	if ok {
		c.push(qitem{ev: ev})
	}
}

func (c *conn) push(it qitem) {
	select {
	case c.queue <- it:
	case <-c.done:
	default:
		c.log.Warn("event queue full, disconnecting the listener", "len", cap(c.queue))
		c.close()
	}
}

// loop runs the connection until handle returns false, the peer goes away
// or the switch closes.
func (c *conn) loop(handle func(*esl.Command) bool) {
	cmds := make(chan *esl.Command)
	readDone := make(chan struct{})
	c.sw.wg.Add(1)
	go func() {
		defer c.sw.wg.Done()
		defer close(readDone)
		r := esl.NewReader(c.nc, esl.Limits{})
		for {
			cmd, err := r.ReadCommand()
			if err != nil {
				if fe, ok := err.(*esl.FrameError); ok && fe.Recoverable {
					continue
				}
				return
			}
			select {
			case cmds <- cmd:
			case <-c.done:
				return
			}
		}
	}()
	for {
		select {
		case cmd := <-cmds:
			c.log.Trace("command", "line", cmd.Line)
			if !c.stallWait() || !handle(cmd) {
				return
			}
		case it := <-c.queue:
			if !c.deliver(it) {
				return
			}
		case <-readDone:
			return
		case <-c.done:
			return
		}
	}
}

func (c *conn) deliver(it qitem) bool {
	switch {
	case it.fn != nil:
		return it.fn()
	case it.raw != nil:
		return c.write(it.raw) == nil
	default:
		c.mu.Lock()
		format := c.sub.format
		c.mu.Unlock()
		return c.write(eventFrame(it.ev, format)) == nil
	}
}

// write sends one frame, applying the corrupt-next-frame fault.
func (c *conn) write(b []byte) error {
	if c.sw.takeCorrupt(c) {
		b = []byte("%%% corrupted by esltest %%%\n\x00\xff\n\n")
	}
	c.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err := c.nc.Write(b)
	if err != nil {
		c.log.Debug("write failed", "error", err)
		c.close()
	}
	return err
}

// writeReply sends a reply to a command, after the delay-replies fault.
func (c *conn) writeReply(b []byte) bool {
	if d := c.sw.replyDelay(); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-c.done:
			t.Stop()
			return false
		}
	}
	return c.write(b) == nil
}

// reply sends a command/reply with Reply-Text and extra headers.
func (c *conn) reply(text string, extra ...esl.Header) bool {
	h := esl.Headers{{Name: "Content-Type", Value: esl.TypeCommandReply}, {Name: "Reply-Text", Value: text}}
	h = append(h, extra...)
	return c.writeReply(esl.AppendFrame(nil, h, nil))
}

// apiResponse sends an api/response with body.
func (c *conn) apiResponse(body string) bool {
	if body == "" {
		body = "-ERR no reply\n" // as api_exec answers a command that printed nothing
	}
	h := esl.Headers{{Name: "Content-Type", Value: esl.TypeAPIResponse}, {Name: "Content-Length", Value: strconv.Itoa(len(body))}}
	return c.writeReply(esl.AppendFrame(nil, h, []byte(body)))
}

// disconnectNotice sends the final notice; with uuid set it names the
// controlled session as the outbound socket does.
func (c *conn) disconnectNotice(uuid string) {
	h := esl.Headers{{Name: "Content-Type", Value: esl.TypeDisconnectNotice}}
	if uuid != "" {
		h = append(h, esl.Header{Name: "Controlled-Session-UUID", Value: uuid}, esl.Header{Name: "Content-Disposition", Value: "disconnect"})
	}
	h = append(h, esl.Header{Name: "Content-Length", Value: strconv.Itoa(len(goodbye))})
	c.write(esl.AppendFrame(nil, h, []byte(goodbye)))
}
