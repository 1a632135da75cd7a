package builtins

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fsstar/fsstar/esl"
	"go.starlark.net/starlark"
)

// playAndDetectSpeech is Session.playAndDetectSpeech(file, engine, grammar)
// (CoreSession::playAndDetectSpeech): it plays file while the engine
// listens and returns what was recognised, or "". Over ESL it runs the
// switch's play_and_detect_speech application, which calls the same
// switch_ivr_play_and_detect_speech and leaves the result in the
// detect_speech_result variable, read from the app's completion event. On a channel that hung up it returns "",
// as mod_lua's sanity check does.
func (s *Session) playAndDetectSpeech(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var file, engine, grammar string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "file", &file, "engine", &engine, "grammar", &grammar); err != nil {
		return nil, err
	}
	if err := checkMediaFile(fn, "file", file); err != nil {
		return nil, err
	}
	// The application splits its data at the first "detect:", then the
	// rest on blanks into engine and grammar (unquoting them).
	if strings.Contains(file, "detect:") {
		return nil, fmt.Errorf("%s: file holds \"detect:\", which play_and_detect_speech would split at: %q", fn.Name(), file)
	}
	if engine == "" || grammar == "" {
		return nil, fmt.Errorf("%s: engine and grammar must not be empty", fn.Name())
	}
	for _, a := range [][2]string{{"engine", engine}, {"grammar", grammar}} {
		if err := checkArg(fn, a[0], a[1]); err != nil {
			return nil, err
		}
	}
	empty := starlark.String("")
	if err := s.begin(fn); err != nil {
		if errors.Is(err, errGone) {
			return empty, nil
		}
		return nil, err
	}
	data := strings.TrimRight(file, " \t") + " detect:" + esl.QuoteArg(engine) + " " + esl.QuoteArg(grammar)
	ev, err := s.exec(thread, fn, "play_and_detect_speech", data, true)
	if err != nil {
		if errors.Is(err, errGone) {
			return empty, nil
		}
		return nil, err
	}
	// The app's completion carries the channel's variables, as for
	// playAndGetDigits: unset means nothing recognised, "" as under mod_lua
	// (seen on the switch).
	return starlark.String(ev.Variable("detect_speech_result")), nil
}

// detectSpeech is Session.detectSpeech(arg0, arg1=None, arg2=None,
// arg3=None) (CoreSession::detectSpeech): "grammar", "nogrammar",
// "grammaron", "grammaroff", "grammarsalloff", "init", "pause", "resume",
// "stop", "param", "start-input-timers", or engine, grammar, name, path to
// start detecting. Each form needs the arguments CoreSession::detectSpeech
// needs and is otherwise ignored, as there. Over ESL it runs the switch's
// detect_speech application, which calls the same switch_ivr functions;
// starting also sets fire_asr_events, so that the recognition results are
// fired as DETECTED_SPEECH events (an EventConsumer gets them): under
// mod_lua they reach the input callback, which ESL cannot do.
func (s *Session) detectSpeech(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var a [4]string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "arg0", &a[0], "arg1?", &a[1], "arg2?", &a[2], "arg3?", &a[3]); err != nil {
		return nil, err
	}
	for i, v := range a {
		if err := checkArg(fn, fmt.Sprintf("arg%d", i), v); err != nil {
			return nil, err
		}
	}
	// How many arguments each form takes (CoreSession::detectSpeech).
	need, start := 0, false
	switch strings.ToLower(a[0]) {
	case "":
		return starlark.None, nil
	case "grammar", "init", "param":
		need = 3
	case "nogrammar", "grammaron", "grammaroff":
		need = 2
	case "grammarsalloff", "pause", "resume", "stop", "start-input-timers", "start_input_timers":
		need = 1
	default:
		need, start = 4, true
	}
	for _, v := range a[:need] {
		if v == "" {
			return starlark.None, nil // as CoreSession::detectSpeech: nothing happens
		}
	}
	if err := s.begin(fn); err != nil {
		if errors.Is(err, errGone) {
			return starlark.None, nil
		}
		return nil, err
	}
	if start {
		if _, err := s.api(fn, "uuid_setvar "+s.uuid+" fire_asr_events true"); err != nil {
			if errors.Is(err, errGone) {
				return starlark.None, nil
			}
			return nil, err
		}
	}
	parts := make([]string, need)
	for i := range parts {
		parts[i] = esl.QuoteArg(a[i])
	}
	if _, err := s.exec(thread, fn, "detect_speech", strings.Join(parts, " "), false); err != nil && !errors.Is(err, errGone) {
		return nil, err
	}
	return starlark.None, nil
}
