package engine

import (
	"context"
	"fmt"

	"github.com/fsstar/fsstar/loader"
	"go.starlark.net/starlark"
)

// entrySpec is the default function name and mod_python signature of an
// entry-point kind.
var entrySpec = [...]struct{ name, signature string }{
	EntryHandler:       {"handler", "handler(session, args)"},
	EntryFSAPI:         {"fsapi", "fsapi(session, stream, env, args)"},
	EntryRuntime:       {"runtime", "runtime(args)"},
	EntryXMLFetch:      {"xml_fetch", "xml_fetch(params)"},
	EntryEventHook:     {"event_hook", "event_hook(event)"},
	EntryHangupHook:    {"hangup_hook", "hangup_hook(session, what, args)"},
	EntryInputCallback: {"input_callback", "input_callback(session, what, obj, args)"},
}

// Handler runs handler(session, args) (or the function named after "::"
// in info.Module) for a call that reached fsstar through the outbound
// socket.
func (e *Engine) Handler(ctx context.Context, info CallInfo, session, args starlark.Value) (starlark.Value, error) {
	return e.entry(ctx, EntryHandler, info, starlark.Tuple{session, args})
}

// FSAPI runs fsapi(session, stream, env, args) for an API call; session is
// None when there is no channel.
func (e *Engine) FSAPI(ctx context.Context, info CallInfo, session, stream, env, args starlark.Value) (starlark.Value, error) {
	return e.entry(ctx, EntryFSAPI, info, starlark.Tuple{session, stream, env, args})
}

// Runtime runs runtime(args) for a background job.
func (e *Engine) Runtime(ctx context.Context, info CallInfo, args starlark.Value) (starlark.Value, error) {
	return e.entry(ctx, EntryRuntime, info, starlark.Tuple{args})
}

// XMLFetch runs xml_fetch(params) for an xml_curl request; the result is
// the XML document as a string, or None for "not found".
func (e *Engine) XMLFetch(ctx context.Context, info CallInfo, params starlark.Value) (starlark.Value, error) {
	return e.entry(ctx, EntryXMLFetch, info, starlark.Tuple{params})
}

// EventHook runs event_hook(event) (or the function named after "::") for
// one switch event an event-hook subscribed, as lua.conf's <hook> runs a
// script with the event.
func (e *Engine) EventHook(ctx context.Context, info CallInfo, event starlark.Value) (starlark.Value, error) {
	return e.entry(ctx, EntryEventHook, info, starlark.Tuple{event})
}

// HangupHook runs a hook set by session.setHangupHook(fn, args) as
// fn(session, what, args), or fn(session, what) when args is nil (no
// argument was given to setHangupHook), as mod_python does.
func (e *Engine) HangupHook(ctx context.Context, info CallInfo, fn starlark.Callable, session, what, args starlark.Value) (starlark.Value, error) {
	call := starlark.Tuple{session, what}
	if args != nil {
		call = append(call, args)
	}
	return e.callback(ctx, EntryHangupHook, info, fn, call)
}

// InputCallback runs a callback set by session.setInputCallback(fn, args)
// as fn(session, what, obj, args), or fn(session, what, obj) when args is
// nil.
func (e *Engine) InputCallback(ctx context.Context, info CallInfo, fn starlark.Callable, session, what, obj, args starlark.Value) (starlark.Value, error) {
	call := starlark.Tuple{session, what, obj}
	if args != nil {
		call = append(call, args)
	}
	return e.callback(ctx, EntryInputCallback, info, fn, call)
}

// Call runs any callable (for example one a builtin was handed) with
// positional args on a fresh thread with the same set-up as an entry
// point: name, step limit, print, locals, cancellation, metrics, logging.
func (e *Engine) Call(ctx context.Context, info CallInfo, fn starlark.Callable, args starlark.Tuple) (starlark.Value, error) {
	module, _, _ := loader.ParseSpec(info.Module)
	return e.run(ctx, EntryCall, info, module, fn.Name(), fn, args)
}

func (e *Engine) callback(ctx context.Context, kind Entry, info CallInfo, fn starlark.Callable, args starlark.Tuple) (starlark.Value, error) {
	module, _, _ := loader.ParseSpec(info.Module)
	if fn == nil {
		return nil, e.reject(kind, info, module, "", fmt.Errorf("no %s function given", entrySpec[kind].name))
	}
	sig := entrySpec[kind].signature
	switch {
	case kind == EntryHangupHook && len(args) == 2:
		sig = "hangup_hook(session, what)"
	case kind == EntryInputCallback && len(args) == 3:
		sig = "input_callback(session, what, obj)"
	}
	if err := CheckArity(fn, len(args), sig); err != nil {
		return nil, e.reject(kind, info, module, fn.Name(), err)
	}
	return e.run(ctx, kind, info, module, fn.Name(), fn, args)
}

// entry resolves info.Module to a function of the serving module version
// and runs it.
func (e *Engine) entry(ctx context.Context, kind Entry, info CallInfo, args starlark.Tuple) (starlark.Value, error) {
	spec := entrySpec[kind]
	module, function, err := loader.ParseSpec(info.Module)
	if err != nil {
		return nil, e.reject(kind, info, info.Module, "", err)
	}
	if function == "" {
		function = spec.name
	}
	m, err := e.ld.Get(module)
	if err != nil {
		return nil, e.reject(kind, info, module, function, err)
	}
	fn, ok := m.Globals[function]
	if !ok {
		return nil, e.reject(kind, info, module, function, fmt.Errorf("no function %s (the %s entry point is %s)", function, spec.name, spec.signature))
	}
	if _, ok := fn.(starlark.Callable); !ok {
		return nil, e.reject(kind, info, module, function, fmt.Errorf("%s is a %s, not a function", function, fn.Type()))
	}
	if err := CheckArity(fn, len(args), spec.signature); err != nil {
		return nil, e.reject(kind, info, module, function, err)
	}
	return e.run(ctx, kind, info, module, function, fn, args)
}

// reject counts and logs a call that could not start.
func (e *Engine) reject(kind Entry, info CallInfo, module, function string, err error) error {
	e.m.entries[kind].calls.Add(1)
	e.m.entries[kind].errors.Add(1)
	ce := &CallError{UUID: info.UUID, Module: module, Function: function, Err: err}
	e.log.Error("call not started", append([]any{"uuid", info.UUID, "module", module, "function", function, OutcomeKey, "not_started", "error", err.Error()}, info.Fields...)...)
	return ce
}
