// Package engine runs the entry points of fsstar's Starlark modules, with
// mod_python's names and argument order:
//
//	handler(session, args)                   Engine.Handler   outbound socket call
//	fsapi(session, stream, env, args)        Engine.FSAPI     API / HTTP call
//	runtime(args)                            Engine.Runtime   background job
//	xml_fetch(params)                        Engine.XMLFetch  xml_curl request
//	hangup_hook(session, what[, args])       Engine.HangupHook
//	input_callback(session, what, obj[, args]) Engine.InputCallback
//
// CallInfo.Module names the module and, after "::", another function than
// the default ("ivr.main::night"). The module version serving when the
// call starts is used for the whole call, whatever reloads happen
// meanwhile. A missing function or one with the wrong number of
// parameters fails before running, with an error naming the module, the
// function and what the entry point needs, e.g.
// "ivr.main::handler: handler takes 1 parameter, handler(session, args) needs 2".
//
// Every call gets a fresh starlark.Thread named "<uuid> <module>", with:
//
//   - a step limit (WithMaxSteps, loader.DefaultMaxSteps): a runaway loop
//     fails with "too many steps", an error wrapping ErrStepLimit;
//   - print() going to the hclog logger with the call's uuid, module and
//     function fields (and CallInfo.Fields);
//   - CallInfo.Locals and WithThreadSetup hooks, so builtins find the
//     call's session and client through thread.Local; Context, Logger and
//     Info read the engine's own per-call state from a thread;
//   - cancellation: when the call's context is done (hangup, request
//     timeout, shutdown) the thread is cancelled with the context's cause,
//     through context.AfterFunc, so no goroutine waits per call.
//
// Module globals are frozen by the loader, so a call that mutates module
// state fails with Starlark's frozen error; per-call state lives in the
// call's own locals. A failed call is logged with its Starlark backtrace
// and returned as a *CallError wrapping the *starlark.EvalError (and the
// context's cause when cancelled). A panic in a builtin is recovered and
// reported as the call's error.
//
// Stats returns plain counters (calls, errors, cancellations, step-limit
// stops per entry kind, calls in flight, a duration histogram, and the
// loader's load/reload/failure counters) for a Prometheus collector in
// server/ to export; this package does not import Prometheus.
package engine
