package esl

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Content types FreeSWITCH's mod_event_socket sends.
const (
	TypeAuthRequest      = "auth/request"
	TypeCommandReply     = "command/reply"
	TypeAPIResponse      = "api/response"
	TypeEventPlain       = "text/event-plain"
	TypeEventJSON        = "text/event-json"
	TypeEventXML         = "text/event-xml"
	TypeLogData          = "log/data"
	TypeDisconnectNotice = "text/disconnect-notice"
	TypeRudeRejection    = "text/rude-rejection"
)

// Limits bound what a Reader accepts. A zero field takes its default.
type Limits struct {
	// MaxHeaders is the most header lines in one block (default 4096; a
	// CHANNEL_DATA reply with many variables has a few hundred).
	MaxHeaders int
	// MaxHeaderBytes is the most bytes in one header block (default 1 MiB).
	MaxHeaderBytes int
	// MaxBodyBytes is the largest Content-Length accepted (default 64 MiB).
	MaxBodyBytes int
}

// Defaults a zero field of Limits stands for.
const (
	DefaultMaxHeaders     = 4096
	DefaultMaxHeaderBytes = 1 << 20
	DefaultMaxBodyBytes   = 64 << 20
)

func (l Limits) withDefaults() Limits {
	if l.MaxHeaders <= 0 {
		l.MaxHeaders = DefaultMaxHeaders
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = DefaultMaxBodyBytes
	}
	return l
}

// Frame is one ESL message: a header block and, when it has a Content-Length,
// exactly that many body bytes. Header values are URL-decoded (the connect
// reply of an outbound socket is URL-encoded; other frames are not, and
// decoding leaves them as they are).
type Frame struct {
	Headers Headers
	Body    []byte
}

// ContentType returns the frame's Content-Type header.
func (f *Frame) ContentType() string { return f.Headers.Get("Content-Type") }

// ReplyText returns the frame's Reply-Text header (command/reply frames).
func (f *Frame) ReplyText() string { return f.Headers.Get("Reply-Text") }

// IsEvent reports whether the frame carries an event in one of the three formats.
func (f *Frame) IsEvent() bool {
	switch f.ContentType() {
	case TypeEventPlain, TypeEventJSON, TypeEventXML:
		return true
	}
	return false
}

// FrameError reports a frame that could not be read. When Recoverable is true
// the reader stayed in step with the stream (the bad frame was skipped whole)
// and the next ReadFrame may succeed; otherwise the stream is out of step and
// the connection should be closed.
type FrameError struct {
	Reason      string
	Recoverable bool
	// ContentType is the Content-Type the skipped frame announced, when its
	// header block said ("" when unknown). A reader uses it to tell a lost
	// event from a lost command reply.
	ContentType string
	// Err is the cause, when there is one to match: ErrFrameTooLarge for limits.
	Err error
}

func (e *FrameError) Error() string { return "esl: bad frame: " + e.Reason }

// Unwrap returns the cause.
func (e *FrameError) Unwrap() error { return e.Err }

// ErrFrameTooLarge is matched (with errors.Is) by a FrameError caused by a limit.
var ErrFrameTooLarge = errors.New("esl: frame exceeds limits")

func limitError(recoverable bool, format string, args ...any) *FrameError {
	return &FrameError{Reason: fmt.Sprintf(format, args...), Recoverable: recoverable, Err: ErrFrameTooLarge}
}

// Reader reads frames from a byte stream. It is not safe for concurrent use:
// one goroutine owns it.
type Reader struct {
	br     *bufio.Reader
	limits Limits
}

// NewReader returns a Reader on r with the given limits.
func NewReader(r io.Reader, limits Limits) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 16<<10), limits: limits.withDefaults()}
}

// ReadFrame reads the next frame sent by a switch: every line of the header
// block is a header. io.EOF means the stream ended cleanly between frames;
// io.ErrUnexpectedEOF means it ended inside one.
func (r *Reader) ReadFrame() (*Frame, error) {
	h, _, err := r.readBlock(false)
	if err != nil {
		return nil, err
	}
	body, err := r.readBody(h)
	if err != nil {
		return nil, err
	}
	return &Frame{Headers: h, Body: body}, nil
}

// Command is one command block sent by a client: its first line (for example
// "api status" or "sendmsg <uuid>"), the header lines after it, and a body
// when the block has a Content-Length.
type Command struct {
	Line    string
	Headers Headers
	Body    []byte
}

// ReadCommand reads the next command block sent by a client, as the switch
// does: lines may end in "\r\n", and leading blank lines are skipped.
// Header values are taken as they are (clients do not URL-encode them).
func (r *Reader) ReadCommand() (*Command, error) {
	h, line, err := r.readBlock(true)
	if err != nil {
		return nil, err
	}
	body, err := r.readBody(h)
	if err != nil {
		return nil, err
	}
	return &Command{Line: line, Headers: h, Body: body}, nil
}

// readBlock reads lines up to the blank line that ends a header block.
// With command set, the first line is returned apart and values are not decoded.
func (r *Reader) readBlock(command bool) (Headers, string, error) {
	var (
		h     Headers
		first string
		total int
		seen  bool
		bad   string
	)
	for {
		line, err := r.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A very long line: gather it in pieces, bounded by the limit.
			buf := append([]byte(nil), line...)
			for err == bufio.ErrBufferFull {
				if total+len(buf) > r.limits.MaxHeaderBytes {
					return nil, "", limitError(false, "header block longer than %d bytes", r.limits.MaxHeaderBytes)
				}
				line, err = r.br.ReadSlice('\n')
				buf = append(buf, line...)
			}
			line = buf
		}
		if err != nil {
			if err == io.EOF && (seen || len(line) > 0) {
				return nil, "", io.ErrUnexpectedEOF
			}
			return nil, "", err
		}
		total += len(line)
		if total > r.limits.MaxHeaderBytes {
			return nil, "", limitError(false, "header block longer than %d bytes", r.limits.MaxHeaderBytes)
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			if !seen {
				continue // blank lines between frames
			}
			break
		}
		if command && !seen {
			first = string(line)
			seen = true
			continue
		}
		seen = true
		if len(h) >= r.limits.MaxHeaders {
			return nil, "", limitError(false, "more than %d header lines", r.limits.MaxHeaders)
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || len(name) == 0 {
			if bad == "" {
				bad = fmt.Sprintf("header line without a name: %q", truncate(string(line), 80))
			}
			continue
		}
		value = bytes.TrimLeft(value, " ")
		v := string(value)
		if !command {
			v = URLDecode(v)
		}
		h = append(h, Header{Name: string(name), Value: v})
	}
	if bad != "" {
		// The block ended where it should: skip its body too so the stream stays in step.
		if _, err := r.readBody(h); err != nil {
			return nil, "", err
		}
		return nil, "", &FrameError{Reason: bad, Recoverable: true, ContentType: h.Get("Content-Type")}
	}
	return h, first, nil
}

// readBody reads the body a header block announces with Content-Length.
func (r *Reader) readBody(h Headers) ([]byte, error) {
	cl, ok := h.Lookup("Content-Length")
	if !ok {
		return nil, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(cl))
	if err != nil || n < 0 {
		return nil, &FrameError{Reason: fmt.Sprintf("bad Content-Length %q", truncate(cl, 40))}
	}
	if n > r.limits.MaxBodyBytes {
		if _, err := r.br.Discard(n); err != nil {
			return nil, unexpected(err)
		}
		fe := limitError(true, "body of %d bytes exceeds the limit of %d", n, r.limits.MaxBodyBytes)
		fe.ContentType = h.Get("Content-Type")
		return nil, fe
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r.br, body); err != nil {
		return nil, unexpected(err)
	}
	return body, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// AppendFrame appends a frame as the switch writes it: the headers in the
// given order, a blank line, then the body. Values are written as they are;
// the caller includes Content-Length where the frame has a body.
func AppendFrame(dst []byte, h Headers, body []byte) []byte {
	for _, x := range h {
		dst = append(dst, x.Name...)
		dst = append(dst, ": "...)
		dst = append(dst, x.Value...)
		dst = append(dst, '\n')
	}
	dst = append(dst, '\n')
	return append(dst, body...)
}

// AppendCommand appends a client command block: the command line, the
// headers, a Content-Length when body is not empty, a blank line and the
// body. It refuses line breaks inside the command, header names or values,
// which would otherwise smuggle a second command onto the wire.
func AppendCommand(dst []byte, line string, h Headers, body []byte) ([]byte, error) {
	if err := checkLine("command", line); err != nil {
		return dst, err
	}
	dst = append(dst, line...)
	dst = append(dst, '\n')
	for _, x := range h {
		if err := checkLine("header name", x.Name); err != nil {
			return dst, err
		}
		if err := checkLine("header value", x.Value); err != nil {
			return dst, err
		}
		dst = append(dst, x.Name...)
		dst = append(dst, ": "...)
		dst = append(dst, x.Value...)
		dst = append(dst, '\n')
	}
	if len(body) > 0 {
		dst = append(dst, "Content-Length: "...)
		dst = strconv.AppendInt(dst, int64(len(body)), 10)
		dst = append(dst, '\n')
	}
	dst = append(dst, '\n')
	return append(dst, body...), nil
}

func checkLine(what, s string) error {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return fmt.Errorf("esl: %s %q contains a line break", what, truncate(s, 60))
	}
	return nil
}
