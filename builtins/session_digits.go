package builtins

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/fsstar/fsstar/esl"
	"go.starlark.net/starlark"
)

// digitsVar is the channel variable read and play_and_get_digits leave
// their result in when the script names none.
const digitsVar = "fsstar_digits"

func (s *Session) playAndGetDigits(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var minD, maxD, tries, timeout int
	var terms, audio, bad, regex string
	var varName, digitTimeout, transfer starlark.Value = starlark.None, starlark.None, starlark.None
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs,
		"min_digits", &minD, "max_digits", &maxD, "max_tries", &tries, "timeout", &timeout,
		"terminators", &terms, "audio_files", &audio, "bad_input_audio_files", &bad, "digits_regex", &regex,
		"var_name?", &varName, "digit_timeout?", &digitTimeout, "transfer_on_failure?", &transfer); err != nil {
		return nil, err
	}
	if err := checkDigits(fn, minD, maxD, timeout); err != nil {
		return nil, err
	}
	if tries < 1 {
		return nil, fmt.Errorf("%s: max_tries must be at least 1", fn.Name())
	}
	v := digitsVar
	if sv, ok := varName.(starlark.String); ok && sv != "" {
		v = string(sv)
	} else if varName != starlark.None && !ok {
		return nil, fmt.Errorf("%s: var_name must be a string or None", fn.Name())
	}
	if err := checkVarName(v); err != nil {
		return nil, fmt.Errorf("%s: var_name: %v", fn.Name(), err)
	}
	for _, a := range [][2]string{{"audio_files", audio}, {"bad_input_audio_files", bad}} {
		if err := checkMediaFile(fn, a[0], a[1]); err != nil {
			return nil, err
		}
	}
	if err := checkArg(fn, "digits_regex", regex); err != nil {
		return nil, err
	}
	// Each argument quoted: the app splits its data on blanks, and the
	// regex keeps its backslashes and blanks.
	parts := []string{strconv.Itoa(minD), strconv.Itoa(maxD), strconv.Itoa(tries), strconv.Itoa(timeout), esl.QuoteArg(termArg(terms)),
		esl.QuoteArg(audio), esl.QuoteArg(bad), esl.QuoteArg(v), esl.QuoteArg(regex)}
	dt := ""
	if digitTimeout != starlark.None {
		n, err := starlark.AsInt32(digitTimeout)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%s: digit_timeout must be a non-negative int or None", fn.Name())
		}
		dt = strconv.Itoa(n)
	}
	if transfer != starlark.None {
		t, ok := transfer.(starlark.String)
		if !ok || strings.IndexByte(string(t), 0) >= 0 {
			return nil, fmt.Errorf("%s: transfer_on_failure must be a string or None", fn.Name())
		}
		if dt == "" {
			dt = strconv.Itoa(timeout)
		}
		parts = append(parts, dt, esl.QuoteArg(string(t)))
	} else if dt != "" {
		parts = append(parts, dt)
	}
	// As CoreSession::playAndGetDigits: the digits only on success (the
	// app leaves partial digits in the variable on failure).
	ev, err := s.exec(thread, fn, "play_and_get_digits", strings.Join(parts, " "), false)
	if errors.Is(err, errGone) {
		return starlark.String(""), nil
	}
	if err != nil {
		return nil, err
	}
	if ev.Variable("read_result") != "success" {
		if transfer != starlark.None {
			// switch_play_and_get_digits has transferred the channel
			// before its app ended: as CF_TRANSFER under mod_lua,
			// ready() is False from here on, and the call is not hung up
			// at the script's end (the socket's or park's own
			// EXECUTE_COMPLETE, which says so too, may come later).
			s.sync()
			s.mu.Lock()
			if !s.hungUp {
				s.transferred = true
			}
			s.mu.Unlock()
		}
		return starlark.String(""), nil
	}
	return starlark.String(ev.Variable(v)), nil
}

func checkDigits(fn *starlark.Builtin, minD, maxD, timeout int) error {
	if minD < 0 || maxD < 1 || minD > maxD || maxD > 128 {
		return fmt.Errorf("%s: want 0 <= min_digits <= max_digits <= 128 and max_digits >= 1, got %d and %d", fn.Name(), minD, maxD)
	}
	if timeout < 0 {
		return fmt.Errorf("%s: negative timeout %d", fn.Name(), timeout)
	}
	return nil
}

// termArg is the terminators argument of read / play_and_get_digits; none
// is written "none" as the switch's dialplan does.
func termArg(t string) string {
	t = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, t)
	if t == "" {
		return "none"
	}
	return t
}

// getDigits(maxdigits, terminators, timeout, interdigit=0, abstimeout=0)
// is CoreSession::getDigits (switch_ivr_collect_digits_count): the keys
// come from the channel's DTMF events while it waits in the socket's (or
// park's) loop, the type-ahead first; nothing is played and the channel is
// not pre-answered (the read app would pre-answer it).
func (s *Session) getDigits(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var maxD, timeout, inter, abs int
	var terms string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "maxdigits", &maxD, "terminators", &terms, "timeout", &timeout, "interdigit?", &inter, "abstimeout?", &abs); err != nil {
		return nil, err
	}
	if err := checkDigits(fn, 0, maxD, timeout); err != nil {
		return nil, err
	}
	if inter < 0 || abs < 0 {
		return nil, fmt.Errorf("%s: negative interdigit %d or abstimeout %d", fn.Name(), inter, abs)
	}
	got, _, err := s.collect(thread, fn, maxD, terms, timeout, inter, abs)
	if err != nil {
		return nil, err
	}
	return starlark.String(got), nil
}

// collect is switch_ivr_collect_digits_count on the channel's DTMF
// events: up to maxD digits, ended by a terminator (not kept), the first
// within first ms, each next within inter ms (first when 0), all within abs
// ms (none when 0). It returns the digits and the terminator that ended
// them ("" when none did); "" when the channel hangs up.
func (s *Session) collect(thread *starlark.Thread, fn *starlark.Builtin, maxD int, terms string, first, inter, abs int) (string, string, error) {
	if err := s.begin(fn); err != nil {
		if errors.Is(err, errGone) {
			return "", "", nil
		}
		return "", "", err
	}
	if inter == 0 {
		inter = first
	}
	eff := first
	if first == 0 {
		eff = inter
	}
	s.mu.Lock()
	sub := s.events
	pending := s.typeahead
	s.typeahead = ""
	s.dtmfTaken = true // the keys are this method's
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.dtmfTaken = false
		s.mu.Unlock()
	}()
	ctx := s.call.ctx()
	now := time.Now()
	digitStart, absStart := now, now
	var buf strings.Builder
	term := ""
	// add takes one key: true when the collection is complete. The keys
	// after the end stay as type-ahead, as they stay in the switch's queue.
	add := func(d string) bool {
		if strings.Contains(terms, d) {
			term = d
			return true
		}
		buf.WriteString(d)
		digitStart, eff = time.Now(), inter
		return buf.Len() >= maxD
	}
	for i := 0; i < len(pending); i++ {
		if add(pending[i : i+1]) {
			s.mu.Lock()
			s.typeahead = pending[i+1:] + s.typeahead
			s.mu.Unlock()
			return buf.String(), term, nil
		}
	}
	for {
		var deadline time.Time
		if eff > 0 {
			deadline = digitStart.Add(time.Duration(eff) * time.Millisecond)
		}
		if abs > 0 {
			if d := absStart.Add(time.Duration(abs) * time.Millisecond); deadline.IsZero() || d.Before(deadline) {
				deadline = d
			}
		}
		wctx, cancel := ctx, context.CancelFunc(func() {})
		if !deadline.IsZero() {
			wctx, cancel = context.WithDeadline(ctx, deadline)
		}
		ev, err := sub.Next(wctx)
		cancel()
		if err != nil {
			if errors.Is(err, esl.ErrOverflow) {
				s.checkSub(sub)
				s.mu.Lock()
				sub = s.events
				s.mu.Unlock()
				continue
			}
			if ctx.Err() != nil {
				return "", "", fmt.Errorf("%s: interrupted: %w", fn.Name(), context.Cause(ctx))
			}
			if wctx.Err() != nil {
				return buf.String(), "", nil // a timeout
			}
			s.checkDown()
			return buf.String(), "", nil
		}
		s.observe(ev)
		if ev.Name() == "CHANNEL_HANGUP" || ev.Name() == "CHANNEL_HANGUP_COMPLETE" {
			return buf.String(), "", nil
		}
		if d := strings.ToUpper(ev.Get("DTMF-Digit")); ev.Name() == "DTMF" && len(d) == 1 && add(d) {
			return buf.String(), term, nil
		}
	}
}

// collectDigits(abs_timeout) / collectDigits(digit_timeout, abs_timeout) is
// CoreSession::collectDigits: the keys go to the input callback until its
// result is not "" / "true", no key came for digit_timeout ms, abs_timeout
// ms went by (0: no limit), or the channel hangs up. It returns 0, and
// at once without an input callback, as switch_ivr_collect_digits_callback.
func (s *Session) collectDigits(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var digitTimeout, abs int
	abs = -1
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "timeout", &digitTimeout, "abs_timeout?", &abs); err != nil {
		return nil, err
	}
	if abs == -1 { // collectDigits(abs_timeout)
		digitTimeout, abs = 0, digitTimeout
	}
	for _, t := range []int{digitTimeout, abs} {
		if t < 0 || time.Duration(t) > maxSleep/time.Millisecond {
			return nil, fmt.Errorf("%s: timeout %d ms is out of range", fn.Name(), t)
		}
	}
	zero := starlark.MakeInt(0)
	s.mu.Lock()
	cb := s.cb
	s.mu.Unlock()
	if cb == nil {
		return zero, nil
	}
	if err := s.begin(fn); err != nil {
		if errors.Is(err, errGone) {
			return zero, nil
		}
		return nil, err
	}
	ctx := s.call.ctx()
	s.mu.Lock()
	s.dtmfTaken = true // the keys go to the callback
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.dtmfTaken = false
		s.mu.Unlock()
	}()
	start := time.Now()
	digitStart := start
	for {
		var deadline time.Time
		if abs > 0 {
			deadline = start.Add(time.Duration(abs) * time.Millisecond)
		}
		if digitTimeout > 0 {
			if d := digitStart.Add(time.Duration(digitTimeout) * time.Millisecond); deadline.IsZero() || d.Before(deadline) {
				deadline = d
			}
		}
		wctx, cancel := ctx, context.CancelFunc(func() {})
		if !deadline.IsZero() {
			wctx, cancel = context.WithDeadline(ctx, deadline)
		}
		s.mu.Lock()
		sub := s.events
		s.mu.Unlock()
		ev, err := sub.Next(wctx)
		cancel()
		if err != nil {
			if errors.Is(err, esl.ErrOverflow) {
				s.checkSub(sub)
				continue
			}
			break
		}
		s.observe(ev)
		if ev.Name() == "CHANNEL_HANGUP" {
			break
		}
		if ev.Name() != "DTMF" {
			continue
		}
		digitStart = time.Now()
		res, err := s.callback(thread, "dtmf", DTMF{Digit: strings.ToUpper(ev.Get("DTMF-Digit")), Duration: atoi(ev.Get("DTMF-Duration"))})
		if err != nil {
			return nil, err
		}
		if r := strings.ToLower(strings.TrimSpace(res)); r != "" && r != "true" && r != "undefined" {
			break // as switch_ivr_collect_digits_callback: a non-success result ends it
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: interrupted: %w", fn.Name(), err)
	}
	return zero, nil
}

func (s *Session) flushDigits(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fn, args, kwargs); err != nil {
		return nil, err
	}
	s.dropQueued()
	s.mu.Lock()
	s.typeahead = "" // the keys fsstar kept for the next read go too
	s.mu.Unlock()
	if _, err := s.exec(thread, fn, "flush_dtmf", "", false); err != nil && !errors.Is(err, errGone) {
		return nil, err
	}
	return starlark.None, nil
}

func (s *Session) flushEvents(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fn, args, kwargs); err != nil {
		return nil, err
	}
	s.dropQueued()
	return starlark.None, nil
}

// dropQueued reads the session's queued events: state events update the
// state, DTMF are dropped (so they never reach the input callback).
func (s *Session) dropQueued() {
	s.mu.Lock()
	sub := s.events
	s.mu.Unlock()
	if sub == nil {
		return
	}
	for ev := sub.TryNext(); ev != nil; ev = sub.TryNext() {
		s.observe(ev)
	}
	s.checkSub(sub)
}
