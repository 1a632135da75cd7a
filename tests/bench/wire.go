package main

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"net"
	"net/textproto"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// wireProxy sits between a contender and the switch on 127.0.0.1 and
// counts what crosses the event socket: every ESL message the switch sends
// (events by name, replies by content type) and every command it receives,
// with their bytes. It forwards bytes unchanged; the counting reads a copy.
type wireProxy struct {
	ln     net.Listener
	target string
	// switchDials says the switch is the side that connects (outbound
	// socket: the switch dials the contender through the proxy); otherwise
	// the contender dials the switch (inbound).
	switchDials bool

	mu    sync.Mutex
	count wireCount
	conns []net.Conn
	// samples holds the first message of each kind, both directions.
	samples map[string]string
}

// wireCount is what crossed the wire: message counts and bytes by kind.
// Kinds from the switch are "event NAME", "api/response", "command/reply"
// …; kinds to the switch are the command ("api uuid_setvar", "sendmsg
// execute set", "event", "filter" …).
type wireCount struct {
	FromSwitch, ToSwitch           map[string]int
	FromSwitchBytes, ToSwitchBytes map[string]int
	Conns                          int
}

func newWireCount() wireCount {
	return wireCount{FromSwitch: map[string]int{}, ToSwitch: map[string]int{}, FromSwitchBytes: map[string]int{}, ToSwitchBytes: map[string]int{}}
}

// clone copies c.
func (c wireCount) clone() wireCount {
	return wireCount{FromSwitch: maps.Clone(c.FromSwitch), ToSwitch: maps.Clone(c.ToSwitch),
		FromSwitchBytes: maps.Clone(c.FromSwitchBytes), ToSwitchBytes: maps.Clone(c.ToSwitchBytes), Conns: c.Conns}
}

// add returns c + d.
func (c wireCount) add(d wireCount) wireCount {
	return c.combine(d, 1)
}

// sub returns c − d.
func (c wireCount) sub(d wireCount) wireCount {
	return c.combine(d, -1)
}

// combine returns c + sign·d.
func (c wireCount) combine(d wireCount, sign int) wireCount {
	out := c.clone()
	out.Conns += sign * d.Conns
	for _, p := range [][2]map[string]int{{out.FromSwitch, d.FromSwitch}, {out.ToSwitch, d.ToSwitch},
		{out.FromSwitchBytes, d.FromSwitchBytes}, {out.ToSwitchBytes, d.ToSwitchBytes}} {
		for k, v := range p[1] {
			p[0][k] += sign * v
			if p[0][k] == 0 {
				delete(p[0], k)
			}
		}
	}
	return out
}

// startWireProxy listens on a free 127.0.0.1 port and forwards each
// connection to target.
func startWireProxy(target string, switchDials bool) (*wireProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("wire proxy: %w", err)
	}
	p := &wireProxy{ln: ln, target: target, switchDials: switchDials, count: newWireCount(), samples: map[string]string{}}
	go p.serve()
	return p, nil
}

// Addr is the address to use instead of target.
func (p *wireProxy) Addr() string { return p.ln.Addr().String() }

// snapshot returns the counts so far.
func (p *wireProxy) snapshot() wireCount {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count.clone()
}

// Close stops listening and closes the connections.
func (p *wireProxy) Close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

func (p *wireProxy) serve() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			in.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, in, out)
		p.count.Conns++
		p.mu.Unlock()
		sw, peer := out, in
		if p.switchDials {
			sw, peer = in, out
		}
		go p.pipe(sw, peer, true)
		go p.pipe(peer, sw, false)
	}
}

// pipe copies src to dst and counts the ESL messages on the way.
func (p *wireProxy) pipe(src, dst net.Conn, fromSwitch bool) {
	pr, pw := io.Pipe()
	go func() {
		_, err := io.Copy(io.MultiWriter(dst, pw), src)
		pw.CloseWithError(err)
		dst.Close()
		src.Close()
	}()
	r := bufio.NewReaderSize(pr, 64<<10)
	for {
		kind, n, raw, err := readESL(r, fromSwitch)
		if err != nil {
			io.Copy(io.Discard, pr)
			return
		}
		p.mu.Lock()
		dir := orElse(fromSwitch, "from the switch: ", "to the switch: ")
		if _, ok := p.samples[dir+kind]; !ok {
			p.samples[dir+kind] = raw
		}
		if fromSwitch {
			p.count.FromSwitch[kind]++
			p.count.FromSwitchBytes[kind] += n
		} else {
			p.count.ToSwitch[kind]++
			p.count.ToSwitchBytes[kind] += n
		}
		p.mu.Unlock()
	}
}

// readESL reads one message (a header block ended by a blank line, and a
// Content-Length body) and returns its kind, its size in bytes and its
// text.
func readESL(r *bufio.Reader, fromSwitch bool) (kind string, n int, raw string, err error) {
	var lines []string
	var text strings.Builder
	defer func() { raw = text.String() }()
	for {
		line, err := r.ReadString('\n')
		n += len(line)
		text.WriteString(line)
		if err != nil {
			return "", n, "", err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			if len(lines) == 0 {
				continue // stray blank line between messages
			}
			break
		}
		lines = append(lines, line)
	}
	hdr := map[string]string{}
	for _, l := range lines[min(1, len(lines)):] {
		if k, v, ok := strings.Cut(l, ":"); ok {
			hdr[textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(k))] = strings.TrimSpace(v)
		}
	}
	first := lines[0]
	if k, v, ok := strings.Cut(first, ":"); ok && fromSwitch {
		hdr[textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	var body []byte
	if cl, err := strconv.Atoi(hdr["Content-Length"]); err == nil && cl > 0 {
		body = make([]byte, cl)
		if _, err := io.ReadFull(r, body); err != nil {
			return "", n, "", err
		}
		n += cl
		text.Write(body)
	}
	if fromSwitch {
		ct := hdr["Content-Type"]
		if ct == "text/event-plain" {
			// The event's name, and for an application's events which
			// application.
			name, app := "?", ""
			for l := range strings.SplitSeq(string(body), "\n") {
				if v, ok := strings.CutPrefix(l, "Event-Name: "); ok {
					name = strings.TrimSpace(v)
				} else if v, ok := strings.CutPrefix(l, "Application: "); ok {
					app = strings.TrimSpace(v)
				}
			}
			if strings.HasPrefix(name, "CHANNEL_EXECUTE") && app != "" {
				name += " " + app
			}
			return "event " + name, n, "", nil
		}
		return orElse(ct != "", ct, "?"), n, "", nil
	}
	// A command: its verb, with the api command or the sendmsg's app.
	f := strings.Fields(first)
	if len(f) == 0 {
		return "?", n, "", nil
	}
	kind = strings.ToLower(f[0])
	switch kind {
	case "api", "bgapi":
		if len(f) > 1 {
			kind += " " + f[1]
		}
	case "sendmsg":
		cmd := strings.ToLower(hdr["Call-Command"])
		kind += " " + cmd
		if cmd == "execute" {
			kind += " " + hdr["Execute-App-Name"]
		}
	}
	return kind, n, "", nil
}

// writeSamples writes the first message of each kind to path.
func (p *wireProxy) writeSamples(path string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(p.samples)) {
		fmt.Fprintf(&b, "=== %s\n%s\n", k, p.samples[k])
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// wireKinds returns the kinds in any of cs, sorted.
func wireKinds(fromSwitch bool, cs ...wireCount) []string {
	set := map[string]bool{}
	for _, c := range cs {
		m := c.ToSwitch
		if fromSwitch {
			m = c.FromSwitch
		}
		for k := range m {
			set[k] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// total is the sum of m's values.
func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
