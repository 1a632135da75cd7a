package esltest

import (
	"errors"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fsstar/fsstar/esl"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// client is a raw ESL peer used by the tests: it writes commands with
// esl.AppendCommand and reads frames with esl.Reader, keeping events that
// arrive while it waits for a reply.
type client struct {
	t      testing.TB
	nc     net.Conn
	r      *esl.Reader
	events []*esl.Event
}

func newClient(t testing.TB, nc net.Conn) *client {
	c := &client{t: t, nc: nc, r: esl.NewReader(nc, esl.Limits{})}
	t.Cleanup(func() { nc.Close() })
	return c
}

// dialSwitch connects, checks the banner and (with auth) logs in.
func dialSwitch(t testing.TB, sw *Switch, auth bool) *client {
	t.Helper()
	nc, err := net.Dial("tcp", sw.Addr())
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, nc)
	if f := c.read(); f.ContentType() != esl.TypeAuthRequest {
		t.Fatalf("banner: got %q", f.ContentType())
	}
	if auth {
		if f := c.cmd("auth ClueCon"); f.ReplyText() != "+OK accepted" {
			t.Fatalf("auth: %q", f.ReplyText())
		}
	}
	return c
}

func (c *client) send(line string, h esl.Headers, body []byte) {
	c.t.Helper()
	b, err := esl.AppendCommand(nil, line, h, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatalf("write %q: %v", line, err)
	}
}

func (c *client) read() *esl.Frame {
	c.t.Helper()
	f, err := c.readErr(5 * time.Second)
	if errors.Is(err, net.ErrClosed) {
		// The test is over and its cleanup closed our side while a
		// handler goroutine still read (TestManyCalls: a channel can be
		// done before its socket's last reply is read). Not a failure.
		runtime.Goexit()
	}
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return f
}

func (c *client) readErr(d time.Duration) (*esl.Frame, error) {
	c.nc.SetReadDeadline(time.Now().Add(d))
	return c.r.ReadFrame()
}

// reply reads frames until a non-event one, keeping the events.
func (c *client) reply() *esl.Frame {
	c.t.Helper()
	for {
		f := c.read()
		if !f.IsEvent() {
			return f
		}
		ev, err := esl.ParseEvent(f)
		if err != nil {
			c.t.Fatalf("parse event: %v", err)
		}
		c.events = append(c.events, ev)
	}
}

func (c *client) cmd(line string) *esl.Frame {
	c.t.Helper()
	c.send(line, nil, nil)
	return c.reply()
}

func (c *client) api(line string) string {
	c.t.Helper()
	f := c.cmd("api " + line)
	if f.ContentType() != esl.TypeAPIResponse {
		c.t.Fatalf("api %s: got %s %q", line, f.ContentType(), f.ReplyText())
	}
	return string(f.Body)
}

// waitEvent returns the first event (kept or new) that match accepts.
func (c *client) waitEvent(match func(*esl.Event) bool) *esl.Event {
	c.t.Helper()
	for i, ev := range c.events {
		if match(ev) {
			c.events = append(c.events[:i:i], c.events[i+1:]...)
			return ev
		}
	}
	for {
		f := c.read()
		if !f.IsEvent() {
			c.t.Fatalf("waiting for an event, got %s %q %q", f.ContentType(), f.ReplyText(), f.Body)
		}
		ev, err := esl.ParseEvent(f)
		if err != nil {
			c.t.Fatal(err)
		}
		if match(ev) {
			return ev
		}
		c.events = append(c.events, ev)
	}
}

func named(name string) func(*esl.Event) bool {
	return func(ev *esl.Event) bool { return ev.Name() == name }
}

func namedApp(name, app string) func(*esl.Event) bool {
	return func(ev *esl.Event) bool { return ev.Name() == name && ev.Get("Application") == app }
}

// expectClosed checks the peer closes the connection.
func (c *client) expectClosed() {
	c.t.Helper()
	for {
		_, err := c.readErr(5 * time.Second)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				c.t.Fatal("connection still open")
			}
			return
		}
	}
}

func (c *client) expectGoodbye() {
	c.t.Helper()
	f := c.read()
	if f.ContentType() != esl.TypeDisconnectNotice || string(f.Body) != goodbye || len(f.Body) != 67 {
		c.t.Fatalf("want the disconnect notice, got %s %q", f.ContentType(), f.Body)
	}
}

func uuidOf(apiOut string) string {
	return strings.TrimSpace(strings.TrimPrefix(apiOut, "+OK "))
}
