package server

import (
	"io"
	"net"
	"os"
	"strings"

	"github.com/hashicorp/go-hclog"
)

// NewLogger makes the service's logger from log-format and log-level,
// writing to w (os.Stderr when nil). Its level follows Reconfigure.
func NewLogger(cfg Config, w io.Writer) hclog.Logger {
	if w == nil {
		w = os.Stderr
	}
	return hclog.New(&hclog.LoggerOptions{
		Name:       "fsstar",
		Level:      hclog.LevelFromString(cfg.LogLevel),
		JSONFormat: cfg.LogFormat == "json",
		Output:     w,
	})
}

// warnExposed logs a warning for a listener bound beyond loopback without
// protection.
func warnExposed(log hclog.Logger, param, addr string, protected bool) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return
	}
	ip := net.ParseIP(host)
	if host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return
	}
	if param == "listen" {
		log.Warn("outbound ESL listener is not on loopback: anyone who reaches it can make fsstar run scripts", "param", param, "addr", addr)
		return
	}
	if !protected {
		log.Warn("HTTP gateway is not on loopback and has no http-token: anyone who reaches it can run scripts", "param", param, "addr", addr)
	}
}

// redact removes the ESL password from an error before it is logged.
func redact(err error, password string) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	if password != "" {
		msg = strings.ReplaceAll(msg, password, "*****")
	}
	return msg
}
