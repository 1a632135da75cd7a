package esl

import (
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// listen returns a loopback listener closed with the test.
func listen(t testing.TB) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// fakeSwitch is a minimal inbound switch for behaviour tests: it sends the
// banner, accepts any auth, answers exit as the real switch does and hands
// every other command to handle, in order, on the connection's goroutine.
type fakeSwitch struct {
	t      testing.TB
	l      net.Listener
	handle func(fc *fakeConn, c *Command)
	wg     sync.WaitGroup
	conns  chan *fakeConn
}

// fakeConn is one client connection to a fakeSwitch.
type fakeConn struct {
	nc  net.Conn
	n   int // 1 for the first connection, 2 for the next...
	wmu sync.Mutex
}

func (fc *fakeConn) send(b []byte) {
	fc.wmu.Lock()
	defer fc.wmu.Unlock()
	_, _ = fc.nc.Write(b)
}

func newFakeSwitch(t testing.TB, handle func(fc *fakeConn, c *Command)) *fakeSwitch {
	t.Helper()
	s := &fakeSwitch{t: t, l: listen(t), handle: handle, conns: make(chan *fakeConn, 16)}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for n := 1; ; n++ {
			nc, err := s.l.Accept()
			if err != nil {
				return
			}
			fc := &fakeConn{nc: nc, n: n}
			s.conns <- fc
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.serve(fc)
			}()
		}
	}()
	t.Cleanup(func() {
		s.l.Close()
		for {
			select {
			case fc := <-s.conns:
				fc.nc.Close()
				continue
			default:
			}
			break
		}
		s.wg.Wait()
	})
	return s
}

func (s *fakeSwitch) Addr() string { return s.l.Addr().String() }

func (s *fakeSwitch) serve(fc *fakeConn) {
	defer fc.nc.Close()
	fc.send([]byte("Content-Type: auth/request\n\n"))
	rd := NewReader(fc.nc, Limits{})
	for {
		c, err := rd.ReadCommand()
		if err != nil {
			return
		}
		switch {
		case strings.HasPrefix(c.Line, "auth "):
			fc.send(replyFrame("+OK accepted"))
		case c.Line == "exit":
			fc.send(replyFrame("+OK bye"))
			fc.send([]byte(disconnectNotice))
			return
		default:
			s.handle(fc, c)
		}
	}
}

const disconnectNotice = "Content-Type: text/disconnect-notice\nContent-Length: 67\n\nDisconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"

func replyFrame(text string) []byte {
	return []byte("Content-Type: command/reply\nReply-Text: " + text + "\n\n")
}

func apiFrame(body string) []byte {
	return []byte("Content-Type: api/response\nContent-Length: " + strconv.Itoa(len(body)) + "\n\n" + body)
}

// eventFrame wraps an event as a text/event-plain frame.
func eventFrame(e *Event) []byte {
	body := e.MarshalPlain()
	return append([]byte("Content-Length: "+strconv.Itoa(len(body))+"\nContent-Type: text/event-plain\n\n"), body...)
}
