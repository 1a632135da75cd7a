package repl

import (
	"context"
	"errors"

	"github.com/fsstar/fsstar/builtins"
	"github.com/fsstar/fsstar/esl"
)

// builtinsOptions are the builtins' options of a session.
func builtinsOptions(o Options) builtins.Options {
	return builtins.Options{Roots: o.ScriptDirs, Logger: o.Logger.Named("script")}
}

// configureCall gives a chunk's Call the hooks that reach the switch over
// the session's inbound connection.
func configureCall(c *builtins.Call, o Options) {
	client := o.Client
	c.FireEvent = func(ctx context.Context, ev *esl.Event) error {
		if client == nil {
			return errNoSwitch
		}
		_, err := client.SendEvent(ctx, ev)
		return err
	}
}

var errNoSwitch = errors.New("not connected to a switch")
