package builtins

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.starlark.net/starlark"
)

// sessionMethod is the Go implementation of a Session method: a method
// expression such as (*Session).setVariable.
type sessionMethod = func(s *Session, thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)

// sessionMethods are the Starlark methods of a Session, by name: the one
// place a Session method is declared. Session.Attr and AttrNames read it,
// and sessionRefused (session.go) adds the names ESL cannot express. The
// table is filled by init because IVRMenu.execute calls Session methods
// through it, a cycle a variable's initializer may not have.
var sessionMethods methods[*Session]

func init() {
	sessionMethods = withRefused(methods[*Session]{
		// The channel's state (stateMethod, below; session_vars.go).
		// ready is switch_channel_ready: false once the channel is
		// transferred away.
		"ready":       stateMethod(func(s *Session) bool { return s.readyLocked() && !s.transferred }),
		"answered":    stateMethod(func(s *Session) bool { return s.answered }),
		"mediaReady":  stateMethod(func(s *Session) bool { return s.mediaReady && s.readyLocked() && !s.transferred }),
		"bridged":     (*Session).bridgedMethod,
		"get_uuid":    (*Session).getUUID,
		"getState":    (*Session).getState,
		"hangupCause": (*Session).hangupCause,
		"hangupState": (*Session).hangupState, // session_parity.go

		// Channel variables (session_vars.go).
		"getVariable": (*Session).getVariable,
		"setVariable": (*Session).setVariable,
		"getPrivate":  (*Session).getPrivate,

		// Call control (mediaMethod, below; session_control.go,
		// session_inbound.go for a leg the script opens).
		"answer":        mediaMethod("answer", func(s *Session) bool { return s.answered }),
		"preAnswer":     mediaMethod("pre_answer", func(s *Session) bool { return s.mediaReady }),
		"hangup":        (*Session).hangup,
		"execute":       (*Session).execute,
		"transfer":      (*Session).transfer,
		"destroy":       (*Session).destroy,
		"originate":     (*Session).originate,
		"waitForAnswer": (*Session).waitForAnswer,

		// Media (session_play.go; background media in session_media.go,
		// speech in session_speech.go).
		"streamFile":          (*Session).streamFile,
		"sleep":               (*Session).sleep,
		"say":                 (*Session).say,
		"sayPhrase":           (*Session).sayPhrase,
		"speak":               (*Session).speak,
		"set_tts_params":      (*Session).setTTSParams,
		"set_tts_parms":       (*Session).setTTSParams, // the deprecated spelling
		"recordFile":          (*Session).recordFile,
		"startMedia":          (*Session).startMedia,
		"stopMedia":           (*Session).stopMedia,
		"playAndDetectSpeech": (*Session).playAndDetectSpeech,
		"detectSpeech":        (*Session).detectSpeech,

		// Digits (session_digits.go; read in session_parity.go).
		"playAndGetDigits": (*Session).playAndGetDigits,
		"getDigits":        (*Session).getDigits,
		"read":             (*Session).read,
		"collectDigits":    (*Session).collectDigits,
		"flushDigits":      (*Session).flushDigits,
		"flushEvents":      (*Session).flushEvents,

		// The hangup hook and the input callback (session_hooks.go).
		"setAutoHangup":           (*Session).setAutoHangup,
		"setHangupHook":           (*Session).setHangupHook,
		"setInputCallback":        (*Session).setInputCallback,
		"unsetInputCallback":      (*Session).unsetInputCallback,
		"process_callback_result": (*Session).processCallbackResult, // session_parity.go

		// Events, the CDR, text and the log (session_events.go;
		// print in session_parity.go, the log methods in log.go).
		"sendEvent":    (*Session).sendEvent,
		"setEventData": (*Session).setEventData,
		"getXMLCDR":    (*Session).getXMLCDR,
		"print":        (*Session).print,
		"consoleLog":   (*Session).consoleLog,
		"consoleLog2":  (*Session).consoleLog2,
	}, sessionRefused)
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
	if errors.Is(err, errGone) {
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
