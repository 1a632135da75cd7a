package builtins

import (
	"fmt"

	"go.starlark.net/starlark"
)

// refusedBuiltin is a reference name fsstar does not provide: calling it,
// with any arguments, fails with why and the alternative to use.
func refusedBuiltin(name, why string) *starlark.Builtin {
	return newBuiltin(name, func(_ *starlark.Thread, fn *starlark.Builtin, _ starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
		return nil, refusedError(fn, why)
	})
}

// refusedError is the error of a refused builtin or method (withRefused).
func refusedError(fn *starlark.Builtin, why string) error {
	return fmt.Errorf("%s: not available over the event socket (%s)", fn.Name(), why)
}

// eventRefused are the Event methods of the reference that ESL cannot
// express, with the alternative.
var eventRefused = map[string]string{
	"chat_execute": "chat applications run on an event inside the switch; use session.execute(app, data)",
	"chat_send":    `no ESL command hands an event to a chat interface; use API().execute("chat", ...) with proto|from|to|body`,
}
