package builtins

import (
	"errors"
	"fmt"
	"strings"

	"go.starlark.net/starlark"
)

// Non-blocking media: a prompt or music on hold plays while the script goes
// on (an HTTP lookup, a database query), until the script stops or replaces
// it, a blocking application starts, or the call hangs up.
//
// It is the switch's uuid_broadcast (playback of the path, queued on the
// channel as an application the park loop of the socket or park app runs)
// and uuid_break ... all (which ends the playback and drops a broadcast not
// started yet). One api round trip to start, one to stop.
//
// Because the broadcast holds the channel's application queue, every
// application the script runs next (streamFile, speak, say, sleep,
// playAndGetDigits, execute...) would wait behind it: Session.run stops the
// background media first. Methods that are api commands (getVariable,
// setVariable, API()) do not stop it.

// mediaMethods are the Session methods of non-blocking media.
var mediaMethods = map[string]sessionMethod{
	"startMedia": (*Session).startMedia,
	"stopMedia":  (*Session).stopMedia,
}

// MediaHandle is the value startMedia returns: attributes path (the file)
// and active (started, and not stopped, replaced or hung up since; a file
// that ended on its own still reads as active), method stop().
type MediaHandle struct {
	s       *Session
	path    string
	stopped bool // guarded by s.mu
}

var _ starlark.HasAttrs = (*MediaHandle)(nil)

func (h *MediaHandle) String() string        { return fmt.Sprintf("<media %q>", h.path) }
func (h *MediaHandle) Type() string          { return "MediaHandle" }
func (h *MediaHandle) Freeze()               {} // the call's own, as its Session
func (h *MediaHandle) Truth() starlark.Bool  { return starlark.True }
func (h *MediaHandle) Hash() (uint32, error) { return 0, errors.New("unhashable: MediaHandle") }

// AttrNames implements starlark.HasAttrs.
func (h *MediaHandle) AttrNames() []string { return []string{"active", "path", "stop"} }

// Attr implements starlark.HasAttrs.
func (h *MediaHandle) Attr(name string) (starlark.Value, error) {
	switch name {
	case "path":
		return starlark.String(h.path), nil
	case "active":
		h.s.sync()
		h.s.mu.Lock()
		defer h.s.mu.Unlock()
		return starlark.Bool(h.s.bg == h && !h.stopped && h.s.readyLocked()), nil
	case "stop":
		return newMethod(h, "MediaHandle.stop", func(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if err := noArgs(fn, args, kwargs); err != nil {
				return nil, err
			}
			h.s.mu.Lock()
			mine := h.s.bg == h
			h.s.mu.Unlock()
			if !mine {
				return starlark.False, nil
			}
			return h.s.stopBackground(fn)
		}), nil
	}
	return nil, nil
}

// checkMediaPath refuses what uuid_broadcast would not pass through as one
// file: the api splits its arguments on blanks and strips quotes and
// backslashes, "app::arg" picks another application, and the playback
// app expands ${...}.
func checkMediaPath(path string) error {
	switch {
	case path == "":
		return errors.New("empty path")
	case strings.ContainsAny(path, " \t\r\n'\"\\$"):
		return fmt.Errorf("%q: blanks, quotes, backslashes and $ cannot pass through uuid_broadcast", path)
	case strings.Contains(path, "::"):
		return fmt.Errorf("%q: \"::\" would name an application; give a file, a local_stream://, tone_stream:// or silence_stream:// path", path)
	}
	return nil
}

// startMedia is session.startMedia(path): the background media replaces
// any playing, and the method returns as soon as the switch has queued it.
// It returns a MediaHandle (an inactive one when the call has hung up).
func (s *Session) startMedia(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var path string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "path", &path); err != nil {
		return nil, err
	}
	if err := checkMediaPath(path); err != nil {
		return nil, fmt.Errorf("%s: %w", fn.Name(), err)
	}
	h := &MediaHandle{s: s, path: path, stopped: true}
	if err := s.begin(fn); errors.Is(err, errGone) {
		return h, nil
	} else if err != nil {
		return nil, err
	}
	if !s.ctl.canAPI() {
		return nil, fmt.Errorf("%s: needs api commands on the call's connection (socket ... async full)", fn.Name())
	}
	if _, err := s.stopBackground(fn); err != nil {
		return nil, err
	}
	_, err := s.api(fn, "uuid_broadcast "+s.uuid+" "+path+" aleg")
	if errors.Is(err, errGone) {
		return h, nil
	}
	if err != nil {
		return nil, err
	}
	h.stopped = false
	s.mu.Lock()
	s.bg = h
	s.mu.Unlock()
	if herr := s.runOwnHook(thread); herr != nil {
		return nil, herr
	}
	return h, nil
}

// stopMedia is session.stopMedia(): it stops the background media, if any,
// and returns whether there was one to stop.
func (s *Session) stopMedia(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fn, args, kwargs); err != nil {
		return nil, err
	}
	return s.stopBackground(fn)
}

// stopBackground ends the background media with `uuid_break <uuid> all`
// (it stops the playback, or drops it if not started yet) and forgets it.
// Without background media, or once the call hung up, it sends nothing and
// returns False: stopping twice is harmless.
func (s *Session) stopBackground(fn *starlark.Builtin) (starlark.Value, error) {
	s.mu.Lock()
	h := s.bg
	s.bg = nil
	if h != nil {
		h.stopped = true
	}
	up := s.readyLocked()
	s.mu.Unlock()
	if h == nil || !up {
		return starlark.False, nil
	}
	_, err := s.api(fn, "uuid_break "+s.uuid+" all")
	if errors.Is(err, errGone) {
		return starlark.False, nil
	}
	if err != nil {
		return nil, err
	}
	return starlark.True, nil
}
