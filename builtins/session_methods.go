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

type sessionMethod = func(s *Session, thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)

// sessionMethods are the Starlark methods of a Session, by name.
var sessionMethods map[string]sessionMethod

func init() {
	sessionMethods = map[string]sessionMethod{
		"answer":              mediaMethod("answer", func(s *Session) bool { return s.answered }),
		"preAnswer":           mediaMethod("pre_answer", func(s *Session) bool { return s.mediaReady }),
		"hangup":              (*Session).hangup,
		"hangupCause":         (*Session).hangupCause,
		"playAndDetectSpeech": (*Session).playAndDetectSpeech,
		"detectSpeech":        (*Session).detectSpeech,
		// Nothing a script gives setPrivate can be stored (see
		// sessionRefused), so there is never a private to get: None, as
		// mod_lua's nil.
		"getPrivate": func(s *Session, thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var name string
			if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "name", &name); err != nil {
				return nil, err
			}
			return starlark.None, nil
		},
		"hangupState": (*Session).hangupState,
		"getState":    (*Session).getState,
		// As switch_channel_ready: false once the channel is transferred away.
		"ready":                   stateMethod(func(s *Session) bool { return s.readyLocked() && !s.transferred }),
		"answered":                stateMethod(func(s *Session) bool { return s.answered }),
		"bridged":                 (*Session).bridgedMethod,
		"mediaReady":              stateMethod(func(s *Session) bool { return s.mediaReady && s.readyLocked() && !s.transferred }),
		"get_uuid":                (*Session).getUUID,
		"setVariable":             (*Session).setVariable,
		"getVariable":             (*Session).getVariable,
		"execute":                 (*Session).execute,
		"streamFile":              (*Session).streamFile,
		"sleep":                   (*Session).sleep,
		"say":                     (*Session).say,
		"sayPhrase":               (*Session).sayPhrase,
		"speak":                   (*Session).speak,
		"set_tts_params":          (*Session).setTTSParams,
		"set_tts_parms":           (*Session).setTTSParams, // the deprecated spelling
		"consoleLog":              (*Session).consoleLog,
		"consoleLog2":             (*Session).consoleLog2,
		"recordFile":              (*Session).recordFile,
		"read":                    (*Session).read,
		"playAndGetDigits":        (*Session).playAndGetDigits,
		"getDigits":               (*Session).getDigits,
		"collectDigits":           (*Session).collectDigits,
		"flushDigits":             (*Session).flushDigits,
		"flushEvents":             (*Session).flushEvents,
		"transfer":                (*Session).transfer,
		"originate":               (*Session).originate,
		"waitForAnswer":           (*Session).waitForAnswer,
		"setAutoHangup":           (*Session).setAutoHangup,
		"setHangupHook":           (*Session).setHangupHook,
		"setInputCallback":        (*Session).setInputCallback,
		"unsetInputCallback":      (*Session).unsetInputCallback,
		"sendEvent":               (*Session).sendEvent,
		"setEventData":            (*Session).setEventData,
		"getXMLCDR":               (*Session).getXMLCDR,
		"destroy":                 (*Session).destroy,
		"print":                   (*Session).print,
		"process_callback_result": (*Session).processCallbackResult,
	}
}

// noArgs is UnpackArgs for a method without parameters.
func noArgs(fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) error {
	return starlark.UnpackArgs(fn.Name(), args, kwargs)
}

// mediaMethod is answer / preAnswer: the app (1, or 0 when the channel hung
// up first, as CoreSession::answer returns), unless the channel already is
// where it would take it (done, as the C++ methods: switch_channel_answer
// and switch_channel_pre_answer return at once then, running nothing and
// firing no event). It saves a round trip and the app's two events per
// call for the calls a dialplan answered before handing them over.
func mediaMethod(app string, done func(s *Session) bool) sessionMethod {
	return func(s *Session, thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if err := noArgs(fn, args, kwargs); err != nil {
			return nil, err
		}
		s.sync()
		s.mu.Lock()
		already := done(s) && s.readyLocked() && !s.transferred
		s.mu.Unlock()
		if !already {
			_, err := s.exec(thread, fn, app, "", false)
			return done1(err)
		}
		if err := s.runOwnHook(thread); err != nil {
			return nil, err
		}
		return done1(nil)
	}
}

// stateMethod reports a part of the state the session's events tell.
func stateMethod(f func(s *Session) bool) sessionMethod {
	return func(s *Session, thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if err := noArgs(fn, args, kwargs); err != nil {
			return nil, err
		}
		s.sync()
		if s.Ready() && s.UUID() != "" {
			if err := s.ask(); err != nil { // so that later changes are seen
				s.log.Debug("could not subscribe to the channel's state events", "error", err)
			}
		}
		if err := s.runOwnHook(thread); err != nil {
			return nil, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		return starlark.Bool(f(s)), nil
	}
}

// done1 is what media methods return: 1 when the app ran to its end, 0
// when the channel hung up first.
func done1(err error) (starlark.Value, error) {
	if err == errGone {
		return starlark.MakeInt(0), nil
	}
	if err != nil {
		return nil, err
	}
	return starlark.MakeInt(1), nil
}

// checkArg refuses text the switch cannot take: a NUL byte ends a C
// string. Everything else reaches the switch as data (see exec and
// esl.QuoteArg).
func checkArg(fn *starlark.Builtin, name, v string) error {
	if strings.IndexByte(v, 0) >= 0 {
		return fmt.Errorf("%s: %s holds a NUL byte", fn.Name(), name)
	}
	return nil
}

// checkPhraseData refuses "${" in text that the switch's phrase engine
// reads: it expands phrase data itself (switch_ivr_phrase_macro_event,
// the same in mod_lua), so no escaping can keep it from being evaluated.
func checkPhraseData(fn *starlark.Builtin, name, v string) error {
	if strings.Contains(v, "${") {
		return fmt.Errorf("%s: %s holds \"${\", which the switch's phrase engine would evaluate (it expands phrase data, also under mod_lua): refusing %q", fn.Name(), name, v)
	}
	return nil
}

func (s *Session) getUUID(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fn, args, kwargs); err != nil {
		return nil, err
	}
	return starlark.String(s.UUID()), nil
}

func (s *Session) hangup(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	cause := "normal_clearing"
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "cause?", &cause); err != nil {
		return nil, err
	}
	if strings.ContainsAny(cause, " \t\r\n") {
		return nil, fmt.Errorf("%s: invalid cause %q", fn.Name(), cause)
	}
	// The hangup app: its CHANNEL_EXECUTE_COMPLETE may come after
	// CHANNEL_HANGUP, which is success here.
	if _, err := s.exec(thread, fn, "hangup", strings.ToUpper(cause), false); err != nil && err != errGone {
		return nil, err
	}
	s.mu.Lock()
	s.hungUp = true // the hangup is under way; CHANNEL_HANGUP sets the cause
	s.mu.Unlock()
	return starlark.None, nil
}

func (s *Session) hangupCause(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fn, args, kwargs); err != nil {
		return nil, err
	}
	s.sync()
	s.awaitHangupEvent(func() bool { return s.cause != "" })
	if c := s.HangupCause(); c != "" {
		return starlark.String(c), nil
	}
	return starlark.String("NONE"), nil // SWITCH_CAUSE_NONE, as the switch says while the call is up
}

func (s *Session) getState(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fn, args, kwargs); err != nil {
		return nil, err
	}
	s.sync()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == "" {
		return starlark.String("CS_NEW"), nil
	}
	return starlark.String(s.state), nil
}

func (s *Session) setVariable(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name, value string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "name", &name, "value", &value); err != nil {
		return nil, err
	}
	if err := checkVarName(name); err != nil {
		return nil, fmt.Errorf("%s: %v", fn.Name(), err)
	}
	if err := checkArg(fn, "value", value); err != nil {
		return nil, err
	}
	if err := s.begin(fn); err != nil {
		if err == errGone {
			return nil, fmt.Errorf("%s: %w", fn.Name(), ErrHungUp)
		}
		return nil, err
	}
	// The value is quoted so that uuid_setvar (or the set app) stores it
	// byte for byte, never evaluated.
	if o, ok := s.ctl.(outboundCtl); ok {
		if err := o.conn.SetVar(s.call.ctx(), name, value); err != nil {
			if err = s.fail(fn, err); err == errGone {
				err = fmt.Errorf("%s: %w", fn.Name(), ErrHungUp)
			}
			return nil, err
		}
		return starlark.None, nil
	}
	if _, err := s.api(fn, "uuid_setvar "+s.uuid+" "+esl.QuoteArg(name)+" "+esl.QuoteArg(value)); err != nil {
		if err == errGone {
			err = fmt.Errorf("%s: %w", fn.Name(), ErrHungUp)
		}
		return nil, err
	}
	return starlark.None, nil
}

func (s *Session) getVariable(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "name", &name); err != nil {
		return nil, err
	}
	if err := checkVarName(name); err != nil {
		return nil, fmt.Errorf("%s: %v", fn.Name(), err)
	}
	err := s.begin(fn)
	if err == errGone {
		return s.finalVariable(name), nil
	}
	if err != nil {
		return nil, err
	}
	if o, ok := s.ctl.(outboundCtl); ok && !o.conn.Full() {
		v, ok, err := o.conn.GetVar(s.call.ctx(), name)
		if err != nil {
			if err = s.fail(fn, err); err == errGone {
				return s.finalVariable(name), nil
			}
			return nil, err
		}
		if !ok || v == "_undef_" {
			return starlark.None, nil
		}
		return starlark.String(v), nil
	}
	out, err := s.api(fn, "uuid_getvar "+s.uuid+" "+name)
	if err == errGone {
		return s.finalVariable(name), nil
	}
	if err != nil {
		return nil, err
	}
	if out == "_undef_" {
		return starlark.None, nil
	}
	return starlark.String(out), nil
}

// awaitHangupEvent waits up to a second for the hangup event when the
// hangup was seen first some other way (a refused command, the
// connection's disconnect notice) and done (called under s.mu) says what it
// should bring is still missing.
func (s *Session) awaitHangupEvent(done func() bool) {
	s.mu.Lock()
	waiting := s.hungUp && s.events != nil && !done()
	s.mu.Unlock()
	if !waiting {
		return
	}
	ctx, cancel := context.WithTimeout(s.call.ctx(), time.Second)
	defer cancel()
	_ = s.waitFor(ctx, done)
}

// finalVariable answers getVariable after hangup from the last hangup
// event's variable_* headers (the channel is gone, the hook still asks).
func (s *Session) finalVariable(name string) starlark.Value {
	s.awaitHangupEvent(func() bool { return s.final != nil })
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.final == nil {
		return starlark.None
	}
	if v, ok := s.final.Headers.Lookup("variable_" + name); ok {
		return starlark.String(v)
	}
	return starlark.None
}

func (s *Session) execute(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var app, data string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "app", &app, "data?", &data); err != nil {
		return nil, err
	}
	if app == "" || strings.ContainsAny(app, " \t\r\n") {
		return nil, fmt.Errorf("%s: invalid application name %q", fn.Name(), app)
	}
	// The switch's own semantics, as mod_lua's execute: data is expanded.
	_, err := s.run(thread, fn, app, data, false)
	if err != nil && err != errGone {
		return nil, err
	}
	if err == nil && (app == "transfer" || app == "park") {
		s.mu.Lock()
		s.transferred = true
		s.mu.Unlock()
	}
	return starlark.None, nil
}

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
	if err != nil && err != errGone {
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
	if err != nil && err != errGone {
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
	if err == errGone {
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

// digits runs a digit-collecting app and returns variable v of its
// CHANNEL_EXECUTE_COMPLETE ("" when none, or when the call hung up).
func (s *Session) digits(thread *starlark.Thread, fn *starlark.Builtin, app, arg, v string) (starlark.Value, error) {
	ev, err := s.exec(thread, fn, app, arg, false)
	if err == errGone {
		return starlark.String(""), nil
	}
	if err != nil {
		return nil, err
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
		if err == errGone {
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
		if err == errGone {
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

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func (s *Session) flushDigits(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fn, args, kwargs); err != nil {
		return nil, err
	}
	s.dropQueued()
	s.mu.Lock()
	s.typeahead = "" // the keys fsstar kept for the next read go too
	s.mu.Unlock()
	if _, err := s.exec(thread, fn, "flush_dtmf", "", false); err != nil && err != errGone {
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

func (s *Session) transfer(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var ext, dialplan, context string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "extension", &ext, "dialplan?", &dialplan, "context?", &context); err != nil {
		return nil, err
	}
	for _, w := range []string{ext, dialplan, context} {
		if err := checkArg(fn, "argument", w); err != nil {
			return nil, err
		}
	}
	if ext == "" {
		return nil, fmt.Errorf("%s: empty extension", fn.Name())
	}
	if strings.HasPrefix(ext, "-") {
		return nil, fmt.Errorf("%s: extension %q would be read as a uuid_transfer flag (-bleg, -both)", fn.Name(), ext)
	}
	if context != "" && dialplan == "" {
		dialplan = "XML"
	}
	if err := s.begin(fn); err != nil {
		if err == errGone {
			return nil, fmt.Errorf("%s: %w", fn.Name(), ErrHungUp)
		}
		return nil, err
	}
	cmd := "uuid_transfer " + s.uuid + " " + esl.QuoteArg(ext)
	if dialplan != "" || context != "" {
		cmd += " " + esl.QuoteArg(dialplan)
	}
	if context != "" {
		cmd += " " + esl.QuoteArg(context)
	}
	if _, err := s.api(fn, cmd); err != nil {
		if err == errGone {
			err = fmt.Errorf("%s: %w", fn.Name(), ErrHungUp)
		}
		return nil, err
	}
	s.mu.Lock()
	s.transferred = true
	s.mu.Unlock()
	return starlark.MakeInt(1), nil // as CoreSession::transfer
}

func (s *Session) setAutoHangup(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var on bool
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "val", &on); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.autoHangup = on
	s.mu.Unlock()
	return starlark.None, nil
}

func (s *Session) setHangupHook(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var hook starlark.Callable
	var hargs starlark.Value
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "func", &hook, "arg?", &hargs); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hookTaken {
		return nil, fmt.Errorf("%s: the hangup hook has already run", fn.Name())
	}
	s.hook, s.hookArgs = s.hangupHookWrapper(hook), hargs
	return starlark.None, nil
}

func (s *Session) setInputCallback(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var cb starlark.Callable
	var cargs starlark.Value
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "cbfunc", &cb, "funcargs?", &cargs); err != nil {
		return nil, err
	}
	// begin asks for the Session's events, DTMF among them (they feed the
	// callback and the type-ahead): nothing more to subscribe here.
	if err := s.begin(fn); err != nil && err != errGone {
		return nil, err
	}
	s.mu.Lock()
	s.cb, s.cbArgs = cb, cargs
	s.mu.Unlock()
	return starlark.None, nil
}

func (s *Session) unsetInputCallback(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fn, args, kwargs); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.cb, s.cbArgs = nil, nil
	s.mu.Unlock()
	return starlark.None, nil
}

func (s *Session) sendEvent(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var e *Event
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "sendME", &e); err != nil {
		return nil, err
	}
	if err := s.begin(fn); err != nil {
		if err == errGone {
			return nil, fmt.Errorf("%s: %w", fn.Name(), ErrHungUp)
		}
		return nil, err
	}
	ev := &esl.Event{Headers: append(esl.Headers(nil), e.ev.Headers...), Body: append([]byte(nil), e.ev.Body...)}
	ev.Headers.Set("Unique-ID", s.uuid)
	if err := s.ctl.sendEvent(s.call.ctx(), ev); err != nil {
		return nil, s.fail(fn, err)
	}
	return starlark.None, nil
}

// dump returns the channel's data ("api uuid_dump <uuid> json").
func (s *Session) dump(fn *starlark.Builtin) (*esl.Event, error) {
	if err := s.begin(fn); err != nil {
		if err == errGone {
			s.mu.Lock()
			final := s.final
			s.mu.Unlock()
			if final != nil {
				return final, nil
			}
			return nil, fmt.Errorf("%s: %w", fn.Name(), ErrHungUp)
		}
		return nil, err
	}
	out, err := s.api(fn, "uuid_dump "+s.uuid+" json")
	if err != nil {
		if err == errGone {
			err = fmt.Errorf("%s: %w", fn.Name(), ErrHungUp)
		}
		return nil, err
	}
	ev, err := esl.ParseJSON([]byte(out))
	if err != nil {
		return nil, fmt.Errorf("%s: uuid_dump: %v", fn.Name(), err)
	}
	return ev, nil
}

func (s *Session) setEventData(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var e *Event
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "e", &e); err != nil {
		return nil, err
	}
	if err := e.checkMutable(fn); err != nil {
		return nil, err
	}
	d, err := s.dump(fn)
	if err != nil {
		return nil, err
	}
	for _, h := range d.Headers {
		if strings.HasPrefix(h.Name, "Event-") || h.Name == "Core-UUID" || strings.HasPrefix(h.Name, "FreeSWITCH-") {
			continue
		}
		e.ev.Headers.Add(h.Name, h.Value)
	}
	return starlark.None, nil
}

func (s *Session) getXMLCDR(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fn, args, kwargs); err != nil {
		return nil, err
	}
	d, err := s.dump(fn)
	if err != nil {
		return nil, err
	}
	return starlark.String(xmlCDR(d)), nil // the shape of the switch's XML CDR, as mod_lua's
}

func (s *Session) destroy(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var why string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "err?", &why); err != nil {
		return nil, err
	}
	// As CoreSession::destroy: a leg this Session originated (S_HUP),
	// still up, not transferred and with auto hangup on, is hung up first;
	// the handler's own session is left to the dialplan.
	s.mu.Lock()
	hang := s.originated && s.autoHangup && !s.transferred && !s.destroyed
	s.mu.Unlock()
	if hang && s.Ready() {
		if _, err := s.exec(thread, fn, "hangup", "NORMAL_CLEARING", false); err != nil && err != errGone {
			return nil, err
		}
	}
	s.close()
	if why != "" { // mod_lua's destroy(err) raises err once the session is gone
		return nil, errors.New(why)
	}
	return starlark.None, nil
}

// close forgets the session locally: its event queue and callbacks. It
// does not hang the channel up; the hangup hook stays for the server.
func (s *Session) close() {
	s.mu.Lock()
	sub := s.events
	s.destroyed, s.events, s.cb, s.cbArgs = true, nil, nil, nil
	s.mu.Unlock()
	if sub != nil {
		sub.Close()
	}
}

// checkMediaFile checks a file name a media app will play: no NUL, and no
// "${" in a "phrase:" file, whose data the phrase engine would expand.
func checkMediaFile(fn *starlark.Builtin, name, file string) error {
	if err := checkArg(fn, name, file); err != nil {
		return err
	}
	if strings.Contains(strings.ToLower(file), "phrase:") {
		return checkPhraseData(fn, name, file)
	}
	return nil
}

// bridgedMethod is Session.bridged(): CoreSession::bridged is
// switch_channel_up and CF_BRIDGED, a flag no event states. The switch sets
// bridge_to on both legs exactly while they are bridged (whoever bridged
// them), so bridged() asks for it; without api access (a socket without
// "full") it answers from the CHANNEL_BRIDGE / UNBRIDGE events seen.
func (s *Session) bridgedMethod(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fn, args, kwargs); err != nil {
		return nil, err
	}
	s.sync()
	if err := s.runOwnHook(thread); err != nil {
		return nil, err
	}
	s.mu.Lock()
	up, seen, uuid := s.readyLocked(), s.bridged, s.uuid
	s.mu.Unlock()
	if !up {
		return starlark.False, nil
	}
	if !s.ctl.canAPI() {
		return starlark.Bool(seen), nil
	}
	out, err := s.api(fn, "uuid_getvar "+uuid+" bridge_to")
	if err == errGone {
		return starlark.False, nil
	}
	if err != nil {
		return nil, err
	}
	return starlark.Bool(out != "" && out != "_undef_"), nil
}
