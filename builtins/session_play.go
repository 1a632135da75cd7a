package builtins

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/fsstar/fsstar/esl"
	"go.starlark.net/starlark"
)

func (s *Session) streamFile(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var file string
	var sample int
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "file", &file, "sample?", &sample); err != nil {
		return nil, err
	}
	if err := checkMediaFile(fn, "file", file); err != nil {
		return nil, err
	}
	if sample < 0 {
		return nil, fmt.Errorf("%s: negative sample %d", fn.Name(), sample)
	}
	// The playback app cuts "file@@sample" at the first '@' when another
	// follows it, and nowhere else.
	if i := strings.IndexByte(file, '@'); i >= 0 && (sample > 0 || strings.HasPrefix(file[i+1:], "@")) {
		return nil, fmt.Errorf("%s: the playback app would misread the '@' in %q as its file@@sample syntax", fn.Name(), file)
	}
	if sample > 0 {
		file += "@@" + strconv.Itoa(sample)
	}
	ev, err := s.exec(thread, fn, "playback", file, true)
	if err != nil {
		return done1(err)
	}
	// As CoreSession::streamFile: 1 only when switch_ivr_play_file
	// succeeded; a missing file, an error or a break (a terminator, the
	// input callback) give 0.
	if r := ev.Get("Application-Response"); r != "FILE PLAYED" || ev.Variable("playback_terminator_used") != "" || s.tookBreak() {
		return starlark.MakeInt(0), nil
	}
	return starlark.MakeInt(1), nil
}

func (s *Session) sleep(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var ms, sync int
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "ms", &ms, "sync?", &sync); err != nil {
		return nil, err
	}
	if ms < 0 || time.Duration(ms) > maxSleep/time.Millisecond {
		return nil, fmt.Errorf("%s: %d ms is out of range (0 to %d)", fn.Name(), ms, maxSleep/time.Millisecond)
	}
	_, err := s.exec(thread, fn, "sleep", strconv.Itoa(ms), true)
	return done1(err)
}

func (s *Session) say(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var text, module, typ, method string
	var gender starlark.Value = starlark.None
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "tosay", &text, "module_name", &module, "say_type", &typ, "say_method", &method, "say_gender?", &gender); err != nil {
		return nil, err
	}
	parts := []string{module, typ, method}
	if g, ok := gender.(starlark.String); ok && g != "" {
		parts = append(parts, string(g))
	} else if gender != starlark.None {
		return nil, fmt.Errorf("%s: say_gender must be a string or None, not %s", fn.Name(), gender.Type())
	}
	for _, p := range parts {
		if p == "" || strings.ContainsAny(p, " \t\r\n") {
			return nil, fmt.Errorf("%s: invalid argument %q (one word each: module, type, method, gender)", fn.Name(), p)
		}
	}
	if err := checkArg(fn, "tosay", text); err != nil {
		return nil, err
	}
	// The say app splits its data on blanks: the text is one quoted
	// argument, so blanks and quotes in it stay.
	_, err := s.exec(thread, fn, "say", esl.QuoteArgs(append(parts, text)...), true)
	if err != nil && !errors.Is(err, errGone) {
		return nil, err
	}
	return starlark.None, nil
}

func (s *Session) sayPhrase(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name, data string
	var lang starlark.Value = starlark.None
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "phrase_name", &name, "phrase_data?", &data, "phrase_lang?", &lang); err != nil {
		return nil, err
	}
	if lang != starlark.None {
		return nil, fmt.Errorf("%s: phrase_lang cannot be passed over the event socket (the phrase app takes the language from the channel variable \"language\": setVariable(\"language\", ...) first)", fn.Name())
	}
	if name == "" || strings.ContainsAny(name, ", \t\r\n") {
		return nil, fmt.Errorf("%s: invalid phrase name %q", fn.Name(), name)
	}
	if err := checkArg(fn, "phrase_data", data); err != nil {
		return nil, err
	}
	if err := checkPhraseData(fn, "phrase_data", data); err != nil {
		return nil, err
	}
	arg := name
	if data != "" {
		arg += "," + data
	}
	_, err := s.exec(thread, fn, "phrase", arg, true)
	if err != nil && !errors.Is(err, errGone) {
		return nil, err
	}
	return starlark.None, nil
}

func (s *Session) speak(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var text string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "text", &text); err != nil {
		return nil, err
	}
	if err := checkArg(fn, "text", text); err != nil {
		return nil, err
	}
	s.mu.Lock()
	engine, voice := s.ttsEngine, s.ttsVoice
	s.mu.Unlock()
	if engine == "" || voice == "" {
		// As mod_lua's CoreSession::speak: no engine set with
		// set_tts_params is an error in the log and SWITCH_STATUS_FALSE (1).
		// The speak app would hang the call up (DESTINATION_OUT_OF_ORDER).
		s.log.Error("speak: no TTS engine specified (call set_tts_params first)")
		return starlark.MakeInt(1), nil
	}
	if strings.TrimLeft(text, " ") == "" {
		return starlark.MakeInt(1), nil // nothing to say; the speak app would hang up on it
	}
	// The speak app takes the text after the second '|' as it is; engine
	// and voice are split off and unquoted.
	_, err := s.exec(thread, fn, "speak", esl.QuoteArg(engine)+"|"+esl.QuoteArg(voice)+"|"+text, true)
	return done1(err)
}

func (s *Session) setTTSParams(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var engine, voice string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "tts_name", &engine, "voice_name", &voice); err != nil {
		return nil, err
	}
	if strings.ContainsAny(engine+voice, "|\r\n") {
		return nil, fmt.Errorf("%s: engine and voice may not hold '|' or line breaks", fn.Name())
	}
	s.mu.Lock()
	s.ttsEngine, s.ttsVoice = engine, voice
	s.mu.Unlock()
	return starlark.None, nil
}

func (s *Session) recordFile(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var file string
	var maxLen, threshold, secs int
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "file", &file, "max_len?", &maxLen, "silence_threshold?", &threshold, "silence_secs?", &secs); err != nil {
		return nil, err
	}
	if file == "" {
		return nil, fmt.Errorf("%s: empty file name", fn.Name())
	}
	if err := checkArg(fn, "file", file); err != nil {
		return nil, err
	}
	if maxLen < 0 || threshold < 0 || secs < 0 {
		return nil, fmt.Errorf("%s: negative limit", fn.Name())
	}
	arg := fmt.Sprintf("%s %d %d %d", esl.QuoteArg(file), maxLen, threshold, secs)
	_, err := s.exec(thread, fn, "record", arg, true)
	return done1(err)
}
