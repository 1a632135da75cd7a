package builtins

import (
	"fmt"
	"strings"

	"go.starlark.net/starlark"
)

// Stream is the Starlark value an fsapi entry point writes its output to
// (freeswitch.Stream): whatever write() collected is the API's response.
// It holds at most its limit of bytes; a write past it fails.
type Stream struct {
	buf    strings.Builder
	limit  int
	frozen bool
}

var _ starlark.HasAttrs = (*Stream)(nil)

// NewStream returns an empty Stream that holds at most limit bytes
// (DefaultMaxStreamBytes when limit <= 0).
func NewStream(limit int) *Stream {
	if limit <= 0 {
		limit = DefaultMaxStreamBytes
	}
	return &Stream{limit: limit}
}

// Data returns what was written so far.
func (s *Stream) Data() string { return s.buf.String() }

// Len returns the number of bytes written so far.
func (s *Stream) Len() int { return s.buf.Len() }

func (e *env) newStream(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs); err != nil {
		return nil, err
	}
	return NewStream(e.opts.MaxStreamBytes), nil
}

func (s *Stream) String() string        { return fmt.Sprintf("<Stream %d bytes>", s.buf.Len()) }
func (s *Stream) Type() string          { return "Stream" }
func (s *Stream) Freeze()               { s.frozen = true }
func (s *Stream) Truth() starlark.Bool  { return starlark.True }
func (s *Stream) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: Stream") }

// streamMethods are the Starlark methods of a Stream.
var streamMethods = methods[*Stream]{
	"write":     (*Stream).write,
	"raw_write": (*Stream).write,
	"get_data":  (*Stream).getData,
	"read":      (*Stream).read,
}

// Attr returns the method called name (streamMethods).
func (s *Stream) Attr(name string) (starlark.Value, error) {
	return streamMethods.attr(s, "Stream", name)
}

// AttrNames lists the methods of streamMethods.
func (s *Stream) AttrNames() []string { return streamMethods.names() }

// read is Stream.read(): what was written and its length, as mod_lua's
// Stream:read returns them (data, len).
func (s *Stream) read(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs); err != nil {
		return nil, err
	}
	return starlark.Tuple{starlark.String(s.buf.String()), starlark.MakeInt(s.buf.Len())}, nil
}

// write appends its argument; raw_write is the same (in FreeSWITCH it skips
// printf formatting, which Starlark strings never had), and takes the
// length to write as mod_lua's raw_write(data, len). A bytes value is
// written as it is.
func (s *Stream) write(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var data starlark.Value
	length := -1
	if fn.Name() == "Stream.raw_write" {
		if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "data", &data, "len?", &length); err != nil {
			return nil, err
		}
	} else if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "data", &data); err != nil {
		return nil, err
	}
	var text string
	switch d := data.(type) {
	case starlark.String:
		text = string(d)
	case starlark.Bytes:
		text = string(d)
	default:
		return nil, fmt.Errorf("%s: got %s, want string or bytes", fn.Name(), data.Type())
	}
	if length >= 0 && length < len(text) {
		text = text[:length]
	}
	if s.frozen {
		return nil, fmt.Errorf("%s: cannot write to a frozen Stream", fn.Name())
	}
	if s.buf.Len()+len(text) > s.limit {
		return nil, fmt.Errorf("%s: the stream would hold %d bytes, more than its limit of %d", fn.Name(), s.buf.Len()+len(text), s.limit)
	}
	s.buf.WriteString(text)
	return starlark.None, nil
}

func (s *Stream) getData(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs); err != nil {
		return nil, err
	}
	return starlark.String(s.buf.String()), nil
}
