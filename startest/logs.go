package startest

import (
	"fmt"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"

	"github.com/fsstar/fsstar/engine"
	"github.com/fsstar/fsstar/esl"
)

// LogLine is one line the server logged about a call or job.
type LogLine struct {
	// ID is the uuid of the call (or the id of the job) it is about.
	ID string
	// Logger is the name of the logger ("fsstar.script", "fsstar.engine"...).
	Logger string
	Level  hclog.Level
	Msg    string
	// Error is the "error" field, if any.
	Error string
	// FSLevel is the FreeSWITCH level name of a consoleLog line ("" for
	// lines the server itself logged).
	FSLevel string
	// Outcome is the engine.OutcomeKey field of the engine's report of a
	// call that did not succeed ("failed", "step_limit"...), else "".
	Outcome string
	// closed marks esl.Server's line for a call whose handler returned
	// (esl.ConnStateKey).
	closed bool
}

// IsScriptError reports whether the line is the engine's report of a failed
// script (a Starlark error, a step limit, a missing entry point).
func (l LogLine) IsScriptError() bool {
	return l.FSLevel == "" && l.Level >= hclog.Error && l.Outcome != ""
}

// IsScript reports whether the line is one a script writer cares about:
// consoleLog, print, and the engine's reports of failed scripts.
func (l LogLine) IsScript() bool {
	return l.FSLevel != "" || strings.HasSuffix(l.Logger, "engine")
}

// Text is the line as a script writer reads it: the message, and the error
// when there is one.
func (l LogLine) Text() string {
	if l.Error != "" {
		return l.Msg + ": " + l.Error
	}
	return l.Msg
}

// logSink collects the server's log lines that carry a uuid.
type logSink struct {
	mu   sync.Mutex
	all  []LogLine
	subs map[int]func(LogLine)
	next int
}

func newLogSink() *logSink { return &logSink{subs: map[int]func(LogLine){}} }

func (s *logSink) Accept(name string, level hclog.Level, msg string, args ...any) {
	l := LogLine{Logger: name, Level: level, Msg: msg}
	for i := 0; i+1 < len(args); i += 2 {
		k, _ := args[i].(string)
		switch k {
		case "uuid", "job":
			if l.ID == "" {
				l.ID = fmt.Sprint(args[i+1])
			}
		case "error":
			l.Error = fmt.Sprint(args[i+1])
		case "fs_level":
			l.FSLevel = fmt.Sprint(args[i+1])
		case engine.OutcomeKey:
			l.Outcome = fmt.Sprint(args[i+1])
		case esl.ConnStateKey:
			l.closed = fmt.Sprint(args[i+1]) == esl.ConnClosed
		}
	}
	if l.ID == "" {
		return
	}
	s.mu.Lock()
	s.all = append(s.all, l)
	subs := make([]func(LogLine), 0, len(s.subs))
	for _, f := range s.subs {
		subs = append(subs, f)
	}
	s.mu.Unlock()
	for _, f := range subs {
		f(l)
	}
}

// lines returns the script lines about id (all ids when "").
func (s *logSink) lines(id string) []LogLine {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []LogLine
	for _, l := range s.all {
		if (id == "" || l.ID == id) && l.IsScript() {
			out = append(out, l)
		}
	}
	return out
}

// closed reports whether the server is done with the call id.
func (s *logSink) closed(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.all {
		if l.ID == id && l.closed {
			return true
		}
	}
	return false
}

func (s *logSink) subscribe(fn func(LogLine)) func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.next
	s.next++
	s.subs[id] = fn
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.subs, id)
	}
}
