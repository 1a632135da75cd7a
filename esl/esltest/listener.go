package esltest

import (
	"strings"

	"github.com/fsstar/fsstar/esl"
)

// serveInbound runs a connection a client made to the switch: banner,
// authentication, then commands until exit or disconnect.
func (c *conn) serveInbound() {
	defer c.finish()
	if c.sw.rejecting() {
		c.log.Info("fault: rude rejection")
		c.rudeReject()
		return
	}
	if c.write(esl.AppendFrame(nil, esl.Headers{{Name: "Content-Type", Value: esl.TypeAuthRequest}}, nil)) != nil {
		return
	}
	authed := false
	c.loop(func(cmd *esl.Command) bool {
		if authed {
			return c.dispatch(cmd)
		}
		verb, arg, _ := strings.Cut(strings.TrimSpace(cmd.Line), " ")
		switch verb {
		case "auth", "userauth":
			if c.checkAuth(verb, strings.TrimSpace(arg)) {
				authed = true
				return c.reply("+OK accepted")
			}
			c.log.Info("authentication failed", "command", verb)
			c.reply("-ERR invalid")
			c.disconnectNotice("")
			return false
		case "exit":
			c.reply("+OK bye")
			c.disconnectNotice("")
			return false
		default:
			return c.reply("-ERR command not found")
		}
	})
}

// checkAuth checks "auth <password>" or "userauth <user>@<domain>:<password>".
func (c *conn) checkAuth(verb, arg string) bool {
	if c.sw.authRefused() {
		return false
	}
	if verb == "userauth" {
		i := strings.LastIndexByte(arg, ':')
		if i < 0 || !strings.Contains(arg[:i], "@") {
			return false
		}
		arg = arg[i+1:]
	}
	return arg == c.sw.opts.password
}
