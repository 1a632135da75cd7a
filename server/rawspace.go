package server

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strings"
)

// rawSpaceListener accepts the request line `GET /api/m?a b HTTP/1.1` that a
// URL with a literal space produces (as in `${curl(http://…/api/m?a b)}`),
// which net/http would refuse: the first request line of each connection
// has its inner spaces escaped as %20.
type rawSpaceListener struct{ net.Listener }

func (l rawSpaceListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &rawSpaceConn{Conn: c}, nil
}

type rawSpaceConn struct {
	net.Conn
	r    io.Reader
	done bool
}

func (c *rawSpaceConn) Read(p []byte) (int, error) {
	if !c.done {
		c.done = true
		br := bufio.NewReaderSize(c.Conn, 8192)
		line, err := br.ReadSlice('\n')
		if err != nil && len(line) == 0 {
			return 0, err
		}
		line = fixRequestLine(line)
		c.r = io.MultiReader(bytes.NewReader(line), br)
	}
	if c.r != nil {
		return c.r.Read(p)
	}
	return c.Conn.Read(p)
}

// fixRequestLine escapes spaces inside the request target.
func fixRequestLine(line []byte) []byte {
	s := string(line)
	body := strings.TrimRight(s, "\r\n")
	eol := s[len(body):]
	first := strings.IndexByte(body, ' ')
	last := strings.LastIndexByte(body, ' ')
	if first < 0 || last <= first || !strings.HasPrefix(body[last+1:], "HTTP/") {
		return line
	}
	target := body[first+1 : last]
	if !strings.Contains(target, " ") {
		return line
	}
	return []byte(body[:first+1] + strings.ReplaceAll(target, " ", "%20") + body[last:] + eol)
}
