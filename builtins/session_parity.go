package builtins

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fsstar/fsstar/esl"
	"go.starlark.net/starlark"
)

// hangupState() is CoreSession::hangupState: it runs the channel's hangup
// state handlers when the channel is down, which the switch does by itself
// for a channel over ESL; it returns None.
func (s *Session) hangupState(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fn, args, kwargs); err != nil {
		return nil, err
	}
	s.sync()
	return starlark.None, nil
}

// print(text) is CoreSession::print, real-time text to the channel: the
// switch's uuid_send_text (which adds "\r\n" after the text). 1 when the
// switch took it, 0 when not or after the hangup.
func (s *Session) print(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var text string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "text", &text); err != nil {
		return nil, err
	}
	if strings.ContainsAny(text, "\r\n\x00") {
		return nil, fmt.Errorf("%s: the text holds a line break or NUL, which the api command line cannot carry", fn.Name())
	}
	if err := s.begin(fn); err != nil {
		if errors.Is(err, errGone) {
			return starlark.MakeInt(0), nil
		}
		return nil, err
	}
	out, err := s.api(fn, "uuid_send_text "+s.uuid+" "+text)
	if errors.Is(err, errGone) {
		return starlark.MakeInt(0), nil
	}
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(out, "+OK") {
		return starlark.MakeInt(1), nil
	}
	return starlark.MakeInt(0), nil
}

// process_callback_result(result) is CoreSession::process_callback_result
// (switch_ivr_process_fh on the file playing): inside an input callback
// while a file plays, the result goes to uuid_fileman, which is that
// function on the file playing: "speed[:v]", "volume[:v]", "pause",
// "restart", "seek[:v]" and "truncate" act on it and give 0, "stop" ends
// it (the playback ends as played to its end) and gives 1, anything else
// does nothing and gives 0. With no file playing, "" gives 0 and anything
// else 1.
func (s *Session) processCallbackResult(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var res string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "result", &res); err != nil {
		return nil, err
	}
	r := strings.TrimSpace(res)
	if r == "" {
		return starlark.MakeInt(0), nil
	}
	s.mu.Lock()
	inMedia := s.dtmfTaken && s.cb != nil
	s.mu.Unlock()
	if !inMedia || s.UUID() == "" {
		return starlark.MakeInt(1), nil // no file handle
	}
	if strings.ContainsAny(r, " \t\r\n") {
		return nil, fmt.Errorf("%s: %q: no blanks allowed", fn.Name(), res)
	}
	// uuid_fileman is switch_ivr_process_fh on the file playing.
	out, err := s.api(fn, "uuid_fileman "+s.uuid+" "+r)
	if err != nil || strings.HasPrefix(out, "-ERR") {
		if err != nil && !errors.Is(err, errGone) && !isCommandError(err) {
			return nil, err
		}
		return starlark.MakeInt(1), nil // -ERR No file handle!: nothing plays
	}
	switch cmd, _, _ := strings.Cut(strings.ToLower(r), ":"); cmd {
	case "stop":
		return starlark.MakeInt(1), nil // the file ends; process_fh says FALSE
	}
	return starlark.MakeInt(0), nil
}

// isCommandError reports whether err is the switch's -ERR reply.
func isCommandError(err error) bool {
	var ce *esl.CommandError
	return errors.As(err, &ce)
}

// hangupHookWrapper wraps the hook of a freeswitch.Session(...) leg so that
// its result "exit" or "die" ends the script, as mod_lua's do_hangup_hook
// raises it (the hook runs on the script's thread, at the leg's next
// method call).
func (s *Session) hangupHookWrapper(hook starlark.Callable) starlark.Callable {
	return newBuiltin(hook.Name(), func(thread *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		v, err := starlark.Call(thread, hook, args, kwargs)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		own := s.ownHook
		s.mu.Unlock()
		if str, ok := v.(starlark.String); ok && own {
			if r := strings.ToLower(string(str)); r == "exit" || r == "die" {
				return nil, &HookExit{Result: r}
			}
		}
		return v, nil
	})
}

// HookExit is the error that ends a script whose hangup hook returned
// "exit" or "die" (on a leg it opened with freeswitch.Session).
type HookExit struct {
	Result string // "exit" or "die"
}

func (e *HookExit) Error() string {
	return fmt.Sprintf("the hangup hook returned %q: the script ends", e.Result)
}

// read(min_digits, max_digits, prompt_audio_file, timeout,
// valid_terminators, digit_timeout=0) is CoreSession::read
// (switch_ivr_read): the channel is pre-answered, the prompt plays and the
// first key breaks it (keys after it stay for the collection), then the
// digits are collected as getDigits does, the first within timeout (or
// digit_timeout after a key broke the prompt), the next within
// digit_timeout (timeout when 0), up to max_digits or a terminator (kept
// when written after "+" or "x" in valid_terminators); read_result and
// read_terminator_used are set as switch_ivr_read sets them. No read app
// runs: it would raise timeouts of 1000 ms or less to 1000 ms.
func (s *Session) read(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var minD, maxD, timeout, digitTimeout int
	var file, terms string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "min_digits", &minD, "max_digits", &maxD, "prompt_audio_file", &file, "timeout", &timeout, "valid_terminators", &terms, "digit_timeout?", &digitTimeout); err != nil {
		return nil, err
	}
	if err := checkDigits(fn, minD, maxD, timeout); err != nil {
		return nil, err
	}
	if digitTimeout < 0 {
		return nil, fmt.Errorf("%s: negative digit_timeout %d", fn.Name(), digitTimeout)
	}
	prompt := file != "" && !strings.EqualFold(file, "silence")
	if prompt {
		if err := checkMediaFile(fn, "prompt_audio_file", file); err != nil {
			return nil, err
		}
	}
	// The bounds of CoreSession::read and switch_ivr_read.
	minD, timeout = max(minD, 1), max(timeout, 1)
	maxD = max(maxD, minD)
	empty := starlark.String("")
	if err := s.begin(fn); err != nil {
		if errors.Is(err, errGone) {
			return empty, nil
		}
		return nil, err
	}
	s.mu.Lock()
	early := s.mediaReady
	s.mu.Unlock()
	if !early { // switch_ivr_read pre-answers
		if _, err := s.exec(thread, fn, "pre_answer", "", false); err != nil {
			if errors.Is(err, errGone) {
				return empty, nil
			}
			return nil, err
		}
	}
	got := ""
	if prompt {
		b := &promptBreaker{}
		s.mu.Lock()
		savedCb, savedArgs := s.cb, s.cbArgs
		s.cb, s.cbArgs = b, nil
		s.mu.Unlock()
		_, err := s.exec(thread, fn, "playback", file, true)
		s.mu.Lock()
		s.cb, s.cbArgs = savedCb, savedArgs
		s.mu.Unlock()
		if errors.Is(err, errGone) {
			return empty, nil
		}
		if err != nil {
			return nil, err
		}
		got = b.first
	}
	term, result := "", "success"
	if got != "" && strings.Contains(terms, got) {
		term, got = got, "" // a terminator broke the prompt
	} else if len(got) < maxD {
		first := timeout
		if got != "" {
			first = digitTimeout
		}
		rest, t, err := s.collect(thread, fn, maxD-len(got), terms, first, digitTimeout, 0)
		if err != nil {
			return nil, err
		}
		if t == "" && len(got)+len(rest) < maxD {
			result = "timeout"
		}
		got, term = got+rest, t
	}
	if p := strings.Index(terms, term); term != "" && p >= 1 && (terms[p-1] == '+' || terms[p-1] == 'x') {
		got += term
	}
	if len(got) < minD {
		result = "failure"
	}
	// The variables switch_ivr_read leaves on the channel.
	vars := "read_result=" + result
	if term != "" {
		vars += ";read_terminator_used=" + term
	}
	if _, err := s.api(fn, "uuid_setvar_multi "+s.uuid+" "+vars); err != nil && !errors.Is(err, errGone) {
		s.log.Debug("could not set read's variables", "error", err)
	}
	return starlark.String(got), nil
}

// promptBreaker is the input callback of read's prompt: the first key
// breaks it and is kept (switch_ivr_play_file with a digit buffer).
type promptBreaker struct{ first string }

var _ starlark.Callable = (*promptBreaker)(nil)

func (b *promptBreaker) String() string        { return "<read prompt>" }
func (b *promptBreaker) Type() string          { return "builtin_function_or_method" }
func (b *promptBreaker) Freeze()               {}
func (b *promptBreaker) Truth() starlark.Bool  { return starlark.True }
func (b *promptBreaker) Hash() (uint32, error) { return 0, errors.New("unhashable") }
func (b *promptBreaker) Name() string          { return "Session.read" }

// CallInternal takes the DTMF of the key and breaks the prompt.
func (b *promptBreaker) CallInternal(_ *starlark.Thread, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
	if len(args) >= 3 && b.first == "" {
		if d, ok := args[2].(DTMF); ok {
			b.first = d.Digit
		}
	}
	return starlark.String("break"), nil
}
