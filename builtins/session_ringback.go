package builtins

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/fsstar/fsstar/esl"
	"go.starlark.net/starlark"
)

// Ringback: what the switch plays to the calling channel while a leg
// originated for it rings (switch_ivr_originate's setup_ringback) and while
// waitForAnswer(calling_session) waits (switch_ivr_wait_for_answer). The
// switch writes the frames itself, inside the originate; over ESL the
// originate has no calling channel, so fsstar plays the same sound on it,
// as background media (session_media.go), from when the leg rings until
// the originate or the wait is over.
//
// The ringback data is the calling channel's transfer_ringback once it is
// answered, else its ringback, read raw (the switch does not expand it);
// its forms, as the switch reads them:
//
//   - a file path (starting with '/' or holding "://", after any {...}):
//     the file, read again from the start when it ends;
//   - "silence" or "silence:<divisor>": comfort noise;
//   - anything else: a teletone script ("%(1000,4000,440,480)").
//
// A tone runs the gentones app with loops -1, the generator the switch's
// ringback uses. A file or silence replaces the frames of a silent tone
// (uuid_displace of the file, or of silence_stream://-1,<divisor>, over
// gentones of %(0,1000,440), which is all pause): playback would announce
// it with PLAYBACK_START and PLAYBACK_STOP, which the switch's ringback
// does not. Neither takes a key the caller presses: fsstar sets
// playback_terminators=none on the channels it takes, and keeps the key as
// type-ahead.
//
// Not done: a file path without an extension (the switch's "as is" form,
// which it opens with the channel's codec name appended) is displaced as
// written; and a stream that ends and cannot seek back to its start ends
// the switch's originate (NO_ANSWER) where fsstar's displace just loops.

// ringbackCarrier is the silent tone whose frames a displaced file or
// silence replaces: gentones writes frames, and the displace media bug
// replaces each one it writes.
const ringbackCarrier = "%(0,1000,440)"

// ringbackData is the ringback the switch plays to a calling channel whose
// variables get reads: transfer_ringback once it is answered, else
// ringback ("" for none).
func ringbackData(get func(string) string, answered bool) string {
	if answered {
		if v := get("transfer_ringback"); v != "" {
			return v
		}
	}
	return get("ringback")
}

// isFilePath is switch_is_file_path: after any leading {...}, a path that
// starts with '/' or holds "://".
func isFilePath(s string) bool {
	for strings.HasPrefix(s, "{") {
		end := strings.IndexByte(s, '}')
		if end < 0 {
			break
		}
		s = strings.TrimLeft(s[end+1:], " ")
	}
	return strings.HasPrefix(s, "/") || strings.Contains(s, "://")
}

// cAtoi is C's atoi: leading blanks, an optional sign, then digits; 0 when
// there are none.
func cAtoi(s string) int {
	s = strings.TrimLeft(s, " \t\n\r\v\f")
	end := 0
	if end < len(s) && (s[end] == '-' || s[end] == '+') {
		end++
	}
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, _ := strconv.Atoi(s[:end])
	return n
}

// switchTrue is switch_true: yes, on, true, t, enabled, active, allow or a
// non-zero number.
func switchTrue(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "on", "true", "t", "enabled", "active", "allow":
		return true
	}
	return cAtoi(s) != 0
}

// ringback is a ringback playing to a session.
type ringback struct {
	s         *Session
	h         *MediaHandle
	displaced string // the uuid_displace path to stop, if any
}

// startRingback plays the ringback data to s until stop. It does not read
// s's events (a watch may be reading them): the caller checks that s is
// up. It returns an error when the file cannot be opened (the switch's
// "Error Playing File").
func (s *Session) startRingback(fn *starlark.Builtin, data string) (*ringback, error) {
	if _, err := s.stopBackground(fn); err != nil {
		return nil, err
	}
	r := &ringback{s: s}
	tone := data
	if displace := ringbackDisplace(data); displace != "" {
		out, err := s.ctl.api(s.call.ctx(), "uuid_displace "+s.UUID()+" start "+esl.QuoteArg(displace)+" 0 l")
		if err != nil {
			return nil, fmt.Errorf("%s: ringback %q: %w", fn.Name(), data, err)
		}
		if !strings.HasPrefix(out, "+OK") {
			return nil, fmt.Errorf("%s: ringback %q: %s", fn.Name(), data, strings.TrimSpace(out))
		}
		r.displaced, tone = displace, ringbackCarrier
	}
	h, err := s.startBackgroundApp(fn, "gentones", esl.EscapeVars(tone)+"|-1", data)
	if err != nil {
		r.stop(fn)
		return nil, err
	}
	r.h = h
	return r, nil
}

// ringbackDisplace returns what a ringback data's form displaces: the file
// itself, silence_stream for silence, "" for a tone.
func ringbackDisplace(data string) string {
	if isFilePath(data) {
		return data
	}
	if len(data) >= 7 && strings.EqualFold(data[:7], "silence") {
		divisor := 0
		if rest, ok := strings.CutPrefix(data[7:], ":"); ok {
			divisor = cAtoi(rest)
		}
		if divisor <= 0 && divisor != -1 { // SWITCH_IVR_VERIFY_SILENCE_DIVISOR
			divisor = 400
		}
		return "silence_stream://-1," + strconv.Itoa(divisor)
	}
	return ""
}

// stop ends the ringback (and is harmless on a nil one, or twice).
func (r *ringback) stop(fn *starlark.Builtin) {
	if r == nil {
		return
	}
	s := r.s
	if r.h != nil {
		s.mu.Lock()
		mine := s.bg == r.h
		s.mu.Unlock()
		if mine {
			if _, err := s.stopBackground(fn); err != nil {
				s.log.Debug("could not stop the ringback", "error", err)
			}
		}
		r.h = nil
	}
	if r.displaced != "" {
		if _, err := s.ctl.api(s.call.ctx(), "uuid_displace "+s.UUID()+" stop "+esl.QuoteArg(r.displaced)); err != nil {
			s.log.Debug("could not stop displacing the ringback", "error", err)
		}
		r.displaced = ""
	}
}

// startBackgroundApp runs app (with data as the switch should read it) as
// the session's background media, as startMedia runs playback: it returns
// once the switch has queued it, and stopBackground ends it. path is what
// the handle reports.
func (s *Session) startBackgroundApp(fn *starlark.Builtin, app, data, path string) (*MediaHandle, error) {
	h := &MediaHandle{s: s, path: path, stopped: true, done: make(chan struct{})}
	accepted := make(chan struct{})
	errc := make(chan error, 1)
	ctx := s.call.ctx()
	go func() {
		defer close(h.done)
		_, err := s.ctl.execute(ctx, s.uuid, app, data, func() { close(accepted) })
		errc <- err
	}()
	select {
	case <-accepted:
	case <-h.done:
		select {
		case <-accepted: // queued, and already over
		default:
			if err := s.fail(fn, <-errc); !errors.Is(err, errGone) {
				return nil, err
			}
			return h, nil
		}
	}
	s.mu.Lock()
	h.stopped = false
	s.bg = h
	s.mu.Unlock()
	return h, nil
}
