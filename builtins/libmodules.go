package builtins

import (
	"github.com/fsstar/fsstar/builtins/lib/calendar"
	"github.com/fsstar/fsstar/builtins/lib/crypto"
	"github.com/fsstar/fsstar/builtins/lib/encoding"
	"github.com/fsstar/fsstar/builtins/lib/re"
	"go.starlark.net/starlarkstruct"
)

// reModule is the re module with a pattern cache of its own: one per
// Predeclared call, so one per server.
func reModule(Options) *starlarkstruct.Module { return re.Module(re.Options{}) }

// cryptoModule is the crypto module (digests, hmac, uuid4, secure random).
func cryptoModule(Options) *starlarkstruct.Module { return crypto.Module() }

// encodingModule is the encoding module (base64, URL quoting and queries).
func encodingModule(Options) *starlarkstruct.Module { return encoding.Module() }

// calendarModule is the calendar module; its holiday files are read through
// the files module's sandbox (opts.Roots, opts.MaxFileBytes).
func calendarModule(opts Options) *starlarkstruct.Module {
	e := &env{opts: opts.withDefaults()}
	return calendar.Module(calendar.Options{ReadFile: e.readScriptFile})
}
