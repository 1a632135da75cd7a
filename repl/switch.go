package repl

import (
	"github.com/fsstar/fsstar/builtins"
)

// builtinsOptions are the builtins' options of a session: the script
// directories for files.*, the log, and the inbound connection that
// freeswitch.API(), Session(dest), EventConsumer and Event.fire use.
func builtinsOptions(o Options) builtins.Options {
	return builtins.Options{Roots: o.ScriptDirs, Logger: o.Logger.Named("script"), Client: o.Client}
}

// configureCall gives a chunk's Call the session's inbound connection.
func configureCall(c *builtins.Call, o Options) {
	c.Client = o.Client
}
