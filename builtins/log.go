package builtins

import (
	"strconv"
	"strings"

	"github.com/hashicorp/go-hclog"
	"go.starlark.net/starlark"
)

// logLevels are FreeSWITCH's log level names, by number (switch_log_level_t),
// and the hclog level each one is written at.
var logLevels = [...]struct {
	name  string
	hclog hclog.Level
}{
	{"console", hclog.Info},
	{"alert", hclog.Error},
	{"crit", hclog.Error},
	{"err", hclog.Error},
	{"warning", hclog.Warn},
	{"notice", hclog.Info},
	{"info", hclog.Info},
	{"debug", hclog.Debug},
}

// parseLogLevel reads a FreeSWITCH level as switch_log_str2level does: a name
// in any case, or its number 0..7.
func parseLogLevel(s string) (name string, level hclog.Level, ok bool) {
	if n, err := strconv.Atoi(s); err == nil {
		if n >= 0 && n < len(logLevels) {
			return logLevels[n].name, logLevels[n].hclog, true
		}
		return "", 0, false
	}
	for _, l := range logLevels {
		if strings.EqualFold(s, l.name) {
			return l.name, l.hclog, true
		}
	}
	return "", 0, false
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
