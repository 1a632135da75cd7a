package esl

import (
	"strconv"
	"strings"
)

// LogLevelName returns the name of FreeSWITCH log level n
// (switch_log_level_t): "console" (0), "alert", "crit", "err", "warning",
// "notice", "info", "debug" (7); "" for any other number.
func LogLevelName(n int) string {
	switch n {
	case 0:
		return "console"
	case 1:
		return "alert"
	case 2:
		return "crit"
	case 3:
		return "err"
	case 4:
		return "warning"
	case 5:
		return "notice"
	case 6:
		return "info"
	case 7:
		return "debug"
	}
	return ""
}

// ParseLogLevel reads a FreeSWITCH log level as switch_log_str2level does:
// a name of LogLevelName in any case, or its number 0..7. ok is false for
// anything else (the switch's SWITCH_LOG_INVALID), "error" included.
func ParseLogLevel(s string) (n int, ok bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return n, LogLevelName(n) != ""
	}
	for n := 0; n <= 7; n++ {
		if strings.EqualFold(s, LogLevelName(n)) {
			return n, true
		}
	}
	return 0, false
}
