package builtins

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/fsstar/fsstar/esl"
	"go.starlark.net/starlark"
)

// Non-blocking media: a prompt or music on hold plays while the script goes
// on (an HTTP lookup, a database query), until the script stops or replaces
// it, a blocking application starts, or the call hangs up.
//
// It is what uuid_broadcast does — a playback queued on the channel as an
// execute event, which the park loop of the socket or park app runs — sent
// as a sendmsg execute whose completion fsstar does not wait for, and
// uuid_break to stop it. Not uuid_broadcast itself: its event asks the
// switch to read five to ten frames ("lead-frames") after taking it off the
// queue and before the playback starts, and a uuid_break in those 100-200
// ms is lost (the app clears the break flag when it starts), so the
// playback would go on for ever — seen on the real switch. A sendmsg has
// no lead frames and its Event-UUID names the playback's completion, so a
// stop knows whether it took, and breaks again until it has.
//
// Because the playback holds the channel's application queue, every
// application the script runs next (streamFile, speak, say, sleep,
// playAndGetDigits, execute...) would wait behind it: Session.run stops the
// background media first. Methods that are api commands (getVariable,
// setVariable, API()) do not stop it.

// mediaBreakEvery is how long a stop waits for the playback's completion
// before it breaks again: a playing one ends within a frame or two of the
// break; one that had not started by the break starts (clearing the break
// flag) and is stopped by the next break.
const mediaBreakEvery = 50 * time.Millisecond

// mediaStopLimit bounds a stop (liveness, not speed): a playback that has
// neither started nor ended this long after the first break means the
// switch does not run the channel's queue, and the stop fails.
const mediaStopLimit = 10 * time.Second

// MediaHandle is the value startMedia returns: attributes path and active
// (playing or queued, and not stopped or replaced), method stop().
type MediaHandle struct {
	s    *Session
	path string
	// done is closed when the playback's execute returned: its completion,
	// the hangup, or the end of the call.
	done    chan struct{}
	stopped bool // guarded by s.mu
}

var _ starlark.HasAttrs = (*MediaHandle)(nil)

func (h *MediaHandle) String() string        { return fmt.Sprintf("<media %q>", h.path) }
func (h *MediaHandle) Type() string          { return "MediaHandle" }
func (h *MediaHandle) Freeze()               {} // the call's own, as its Session
func (h *MediaHandle) Truth() starlark.Bool  { return starlark.True }
func (h *MediaHandle) Hash() (uint32, error) { return 0, errors.New("unhashable: MediaHandle") }

// mediaHandleMethods are the Starlark methods of a MediaHandle.
var mediaHandleMethods = methods[*MediaHandle]{
	"stop": (*MediaHandle).stop,
}

// AttrNames lists the fields active and path and the methods of
// mediaHandleMethods.
func (h *MediaHandle) AttrNames() []string {
	names := append([]string{"active", "path"}, mediaHandleMethods.names()...)
	slices.Sort(names)
	return names
}

// ended reports whether the playback is over (or never started).
func (h *MediaHandle) ended() bool {
	select {
	case <-h.done:
		return true
	default:
		return false
	}
}

// Attr returns the field path or active, or a method of
// mediaHandleMethods.
func (h *MediaHandle) Attr(name string) (starlark.Value, error) {
	switch name {
	case "path":
		return starlark.String(h.path), nil
	case "active":
		h.s.mu.Lock()
		defer h.s.mu.Unlock()
		return starlark.Bool(h.s.bg == h && !h.stopped && !h.ended() && h.s.readyLocked()), nil
	}
	return mediaHandleMethods.attr(h, "MediaHandle", name)
}

// stop is MediaHandle.stop(): it stops this background media, when it is
// still the session's, and returns whether there was one to stop.
func (h *MediaHandle) stop(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
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
}

// startMedia is session.startMedia(path): the background media replaces
// any playing, and the method returns as soon as the switch has queued it.
// It returns a MediaHandle (an inactive one when the call has hung up).
func (s *Session) startMedia(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var path string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "path", &path); err != nil {
		return nil, err
	}
	if path == "" {
		return nil, fmt.Errorf("%s: empty path", fn.Name())
	}
	if err := s.begin(fn); errors.Is(err, errGone) {
		h := &MediaHandle{s: s, path: path, stopped: true, done: make(chan struct{})}
		close(h.done)
		return h, nil
	} else if err != nil {
		return nil, err
	}
	if _, err := s.stopBackground(fn); err != nil {
		return nil, err
	}
	h, err := s.startBackgroundApp(fn, "playback", esl.EscapeVars(path), path)
	if err != nil {
		return nil, err
	}
	if herr := s.runOwnHook(thread); herr != nil {
		return nil, herr
	}
	return h, nil
}

// StopMedia stops the background media the script left playing (see
// startMedia), for the server once the script has ended: the hangup or
// resume it then sends is queued on the channel behind the playback and
// would wait for its end. It does nothing without background media; errors
// are logged.
func (s *Session) StopMedia() {
	if _, err := s.stopBackground(starlark.NewBuiltin("Session.stopMedia", nil)); err != nil {
		s.log.Warn("could not stop the background media at the script's end", "error", err)
	}
}

// stopMedia is session.stopMedia(): it stops the background media, if any,
// and returns whether there was one to stop.
func (s *Session) stopMedia(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fn, args, kwargs); err != nil {
		return nil, err
	}
	return s.stopBackground(fn)
}

// stopBackground ends the background media with `uuid_break <uuid>` and
// forgets it. Without background media, once it ended, or once the call
// hung up, it sends nothing and returns False: stopping twice is harmless.
//
// A break takes only once the playback has started: one that lands while
// the execute is queued, or between the switch taking it off the queue and
// the playback starting, is lost (the switch clears the break flag when it
// starts an application). So the stop breaks, waits mediaBreakEvery for the
// playback's completion, and breaks again until the completion comes (or
// the call hangs up). The execute is never dropped from the queue (no
// "all"): a dropped one would never complete, and nothing would tell it
// from one the switch has just taken off the queue — the race that left a
// playback started late playing for ever. Extra breaks are harmless: the
// script's next application is sent only after the stop returned, and
// the switch clears a break flag left behind when it starts it.
func (s *Session) stopBackground(fn *starlark.Builtin) (starlark.Value, error) {
	s.mu.Lock()
	h := s.bg
	s.bg = nil
	if h != nil {
		h.stopped = true
	}
	up := s.readyLocked()
	s.mu.Unlock()
	if h == nil || !up || h.ended() {
		return starlark.False, nil
	}
	limit := time.NewTimer(mediaStopLimit)
	defer limit.Stop()
	every := time.NewTicker(mediaBreakEvery)
	defer every.Stop()
	for {
		if _, err := s.api(fn, "uuid_break "+s.uuid); errors.Is(err, errGone) {
			return starlark.False, nil
		} else if err != nil {
			return nil, err
		}
		select {
		case <-h.done:
			return starlark.True, nil
		case <-every.C:
		case <-limit.C:
			return nil, fmt.Errorf("%s: %s: the background playback of %q neither started nor ended within %v of uuid_break", fn.Name(), s.uuid, h.path, mediaStopLimit)
		}
	}
}
