package builtins

import (
	"fmt"
	"strings"

	"github.com/hashicorp/go-hclog"
	"go.starlark.net/starlark"

	"github.com/fsstar/fsstar/esl"
)

// hclogLevel is the hclog level each FreeSWITCH log level (by number,
// esl.LogLevelName) is written at.
func hclogLevel(n int) hclog.Level {
	switch n {
	case 1, 2, 3: // alert, crit, err
		return hclog.Error
	case 4: // warning
		return hclog.Warn
	case 7: // debug
		return hclog.Debug
	}
	return hclog.Info // console, notice, info
}

// parseLogLevel reads a FreeSWITCH level as switch_log_str2level does
// (esl.ParseLogLevel): a name in any case, or its number 0..7.
func parseLogLevel(s string) (name string, level hclog.Level, ok bool) {
	n, ok := esl.ParseLogLevel(s)
	if !ok {
		return "", 0, false
	}
	return esl.LogLevelName(n), hclogLevel(n), true
}

func (e *env) consoleLog(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var levelStr, msg string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "level", &levelStr, "msg", &msg); err != nil {
		return nil, err
	}
	name, level, ok := parseLogLevel(levelStr)
	if !ok {
		// As the switch (switch_log_str2level gives INVALID, logged at
		// DEBUG): an unknown level is debug, not an error.
		name, level = "debug", hclog.Debug
	}
	e.log(thread, name, level, msg, false)
	return starlark.None, nil
}

func (e *env) consoleCleanLog(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var msg string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "msg", &msg); err != nil {
		return nil, err
	}
	e.log(thread, "debug", hclog.Debug, msg, true) // as the switch: the clean channel, at debug
	return starlark.None, nil
}

func (e *env) log(thread *starlark.Thread, name string, level hclog.Level, msg string, clean bool) {
	c := CallOf(thread)
	l := e.logger(c)
	line := strings.TrimRight(msg, "\r\n") // scripts end lines with "\n" for the switch's console
	if clean {
		l.Log(level, line, "fs_level", name, "clean", true)
	} else {
		l.Log(level, line, "fs_level", name)
	}
	if err := e.switchLog(c, name, msg, clean); err != nil {
		l.Warn("could not forward a log line to the switch", "error", err)
	}
}

// consoleLog2 is freeswitch.consoleLog2(level, file, func, line, msg): a
// log line that names the script's place, as switch_log_printf's file,
// function and line.
func (e *env) consoleLog2(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var levelStr, file, funcName, msg string
	var line int
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "level", &levelStr, "file", &file, "func", &funcName, "line", &line, "msg", &msg); err != nil {
		return nil, err
	}
	name, level, ok := parseLogLevel(levelStr)
	if !ok {
		name, level = "debug", hclog.Debug
	}
	e.log(thread, name, level, placed(file, funcName, line, msg), false)
	return starlark.None, nil
}

// placed prefixes msg with "file:line func() ", as the switch's log shows
// the place a line was logged from.
func placed(file, funcName string, line int, msg string) string {
	return fmt.Sprintf("%s:%d %s() %s", file, line, funcName, msg)
}

// sessionLog is session.consoleLog(level, msg) and session.consoleLog2(level,
// file, func, line, msg) (mod_lua's): the module's consoleLog about this
// session's channel.
func (s *Session) sessionLog(fn *starlark.Builtin, levelStr, msg string) {
	name, level, ok := parseLogLevel(levelStr)
	if !ok {
		name, level = "debug", hclog.Debug
	}
	s.log.Log(level, strings.TrimRight(msg, "\r\n"), "fs_level", name)
	c := s.call
	var err error
	switch {
	case c != nil && c.SwitchLog != nil:
		err = c.SwitchLog(c.ctx(), name, msg, false)
	case s.ctl.canAPI():
		line := strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(strings.TrimRight(msg, "\r\n"))
		_, err = s.ctl.api(c.ctx(), "log "+name+" "+line)
	}
	if err != nil {
		s.log.Warn("could not forward a log line to the switch", "error", err)
	}
}

func (s *Session) consoleLog(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var level, msg string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "level", &level, "msg", &msg); err != nil {
		return nil, err
	}
	s.sessionLog(fn, level, msg)
	return starlark.None, nil
}

func (s *Session) consoleLog2(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var level, file, funcName, msg string
	var line int
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "level", &level, "file", &file, "func", &funcName, "line", &line, "msg", &msg); err != nil {
		return nil, err
	}
	s.sessionLog(fn, level, placed(file, funcName, line, msg))
	return starlark.None, nil
}
