package builtins

import (
	"fmt"
	"strconv"
	"strings"

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

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
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
