package esl

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// loadConn returns the records of one connection of one transcript, notes excluded.
func loadConn(tb testing.TB, file, conn string) []record {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(transcriptDir, file))
	if err != nil {
		tb.Fatalf("transcript %s: %v", file, err)
	}
	var out []record
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			tb.Fatalf("%s: %v", file, err)
		}
		if r.Conn == conn && (r.Dir == "c2s" || r.Dir == "s2c") {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		tb.Fatalf("%s: no records for connection %q", file, conn)
	}
	return out
}

// generated are the headers whose values fsstar makes up itself; the peer
// maps the recorded value to ours in everything it sends afterwards.
var generated = map[string]bool{"job-uuid": true, "event-uuid": true}

var jobUUIDLine = regexp.MustCompile(`Job-UUID: ([0-9a-f-]{36})`)

// replaceInFrame replaces old with new in a recorded frame, headers and
// body, and corrects the frame's Content-Length for the body's change (the
// values fsstar generates need not be as long as the recorded ones).
func replaceInFrame(t testing.TB, frame, old, new []byte) []byte {
	t.Helper()
	head, body, ok := bytes.Cut(frame, []byte("\n\n"))
	if !ok {
		return bytes.ReplaceAll(frame, old, new)
	}
	head = bytes.ReplaceAll(head, old, new)
	n := bytes.Count(body, old)
	body = bytes.ReplaceAll(body, old, new)
	if grow := n * (len(new) - len(old)); grow != 0 {
		m := contentLengthLine.FindSubmatch(head)
		if m == nil {
			t.Fatalf("recorded frame with a body but no Content-Length: %q", head)
		}
		cl, err := strconv.Atoi(string(m[1]))
		if err != nil {
			t.Fatal(err)
		}
		head = contentLengthLine.ReplaceAll(head, []byte("Content-Length: "+strconv.Itoa(cl+grow)))
	}
	return slices.Concat(head, []byte("\n\n"), body)
}

var contentLengthLine = regexp.MustCompile(`Content-Length: (\d+)`)

// replayPeer plays the switch side of one recorded connection over real
// TCP: it sends the recorded switch frames in order and, at each recorded
// client command, reads the client's command and checks it against the
// recording. Values fsstar generates (Job-UUID, Event-UUID) may differ:
// the peer substitutes ours for the recorded ones in what it sends next.
type replayPeer struct {
	t        testing.TB
	l        net.Listener
	recs     []record
	consumed chan string // each client command line, once checked
	done     chan struct{}

	mu      sync.Mutex
	mapping map[string]string
	errs    []string
}

func newReplayPeer(t testing.TB, file, conn string) *replayPeer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &replayPeer{t: t, l: l, recs: loadConn(t, file, conn), consumed: make(chan string, 1000),
		done: make(chan struct{}), mapping: map[string]string{}}
	go p.serve()
	t.Cleanup(func() {
		l.Close()
		<-p.done
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, e := range p.errs {
			t.Error(e)
		}
	})
	return p
}

func (p *replayPeer) Addr() string { return p.l.Addr().String() }

func (p *replayPeer) fail(format string, args ...any) {
	p.mu.Lock()
	p.errs = append(p.errs, fmt.Sprintf(format, args...))
	p.mu.Unlock()
}

func (p *replayPeer) serve() {
	defer close(p.done)
	nc, err := p.l.Accept()
	if err != nil {
		return
	}
	defer nc.Close()
	rd := NewReader(nc, Limits{})
	for i, r := range p.recs {
		b := r.bytes(p.t)
		switch r.Dir {
		case "s2c":
			p.mu.Lock()
			for from, to := range p.mapping {
				b = replaceInFrame(p.t, b, []byte(from), []byte(to))
			}
			p.mu.Unlock()
			if _, err := nc.Write(b); err != nil {
				p.fail("seq %d: write: %v", r.Seq, err)
				return
			}
		case "c2s":
			want, err := NewReader(bytes.NewReader(b), Limits{}).ReadCommand()
			if err != nil {
				// A partial record (01 'nonl'): not replayable.
				p.fail("seq %d: recorded command does not parse: %v", r.Seq, err)
				return
			}
			_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			got, err := rd.ReadCommand()
			if err != nil {
				p.fail("seq %d: want %q, read error %v", r.Seq, want.Line, err)
				return
			}
			if msg := p.check(want, got, p.recs[i+1:]); msg != "" {
				p.fail("seq %d: %s", r.Seq, msg)
				return
			}
			p.consumed <- got.Line
		}
	}
	// The recording ends here: the switch closed, or the test ends.
	_ = nc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	_, _ = rd.ReadCommand()
}

// headerArg returns cmd with an execute's text/plain body (the app's
// argument, as the switch reads it when there is no execute-app-arg) moved
// into the execute-app-arg header: the two forms the switch reads the same.
func headerArg(cmd *Command) *Command {
	if cmd.Headers.Get("call-command") != "execute" || !strings.EqualFold(cmd.Headers.Get("content-type"), "text/plain") || len(cmd.Body) == 0 {
		return cmd
	}
	if _, ok := cmd.Headers.Lookup("execute-app-arg"); ok {
		return cmd
	}
	out := &Command{Line: cmd.Line}
	for _, h := range cmd.Headers {
		if n := strings.ToLower(h.Name); n != "content-type" && n != "content-length" {
			out.Headers = append(out.Headers, h)
		}
	}
	out.Headers.Add("execute-app-arg", string(cmd.Body))
	return out
}

// check compares the client's command with the recorded one. An
// execute's argument may be in a header or in the body in either.
func (p *replayPeer) check(want, got *Command, rest []record) string {
	want, got = headerArg(want), headerArg(got)
	if want.Line != got.Line {
		return fmt.Sprintf("command %q, want %q", got.Line, want.Line)
	}
	seen := map[string]bool{}
	for _, h := range want.Headers {
		name := strings.ToLower(h.Name)
		if name == "content-length" {
			continue
		}
		v, ok := got.Headers.Lookup(h.Name)
		if !ok {
			return fmt.Sprintf("%q: header %s missing", got.Line, h.Name)
		}
		seen[name] = true
		if generated[name] {
			p.mu.Lock()
			p.mapping[h.Value] = v
			p.mu.Unlock()
			continue
		}
		if v != h.Value {
			return fmt.Sprintf("%q: header %s = %q, want %q", got.Line, h.Name, v, h.Value)
		}
	}
	for _, h := range got.Headers {
		name := strings.ToLower(h.Name)
		if seen[name] || name == "content-length" {
			continue
		}
		if !generated[name] {
			return fmt.Sprintf("%q: unexpected header %s: %s", got.Line, h.Name, h.Value)
		}
		if name == "job-uuid" {
			// The recording let the switch choose: map its choice to ours.
			for _, r := range rest {
				if m := jobUUIDLine.FindSubmatch(r.bytes(p.t)); r.Dir == "s2c" && m != nil {
					p.mu.Lock()
					p.mapping[string(m[1])] = h.Value
					p.mu.Unlock()
					break
				}
			}
		}
	}
	if !bytes.Equal(want.Body, got.Body) {
		return fmt.Sprintf("%q: body %q, want %q", got.Line, got.Body, want.Body)
	}
	return ""
}

// waitConsumed waits until the peer has checked the client's next command.
func (p *replayPeer) waitConsumed(tb testing.TB) string {
	tb.Helper()
	select {
	case line := <-p.consumed:
		return line
	case <-p.done:
		select {
		case line := <-p.consumed:
			return line
		default:
		}
		tb.Fatal("replay peer ended early")
	case <-time.After(5 * time.Second):
		tb.Fatal("replay peer saw no command")
	}
	return ""
}
