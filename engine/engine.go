package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fsstar/fsstar/loader"
	"github.com/fsstar/fsstar/membudget"
	"github.com/hashicorp/go-hclog"
	"go.starlark.net/starlark"
)

// Engine runs Starlark entry points of modules from a Loader. It is safe
// for concurrent use; each call runs on its own fresh thread.
type Engine struct {
	ld       *loader.Loader
	log      hclog.Logger
	maxSteps uint64
	memory   *membudget.Pool
	setup    []func(*starlark.Thread, CallInfo)
	m        metrics
}

// New returns an engine that runs modules from ld.
func New(ld *loader.Loader, opts ...Option) *Engine {
	e := &Engine{ld: ld, log: hclog.NewNullLogger(), maxSteps: loader.DefaultMaxSteps}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Loader returns the engine's loader.
func (e *Engine) Loader() *loader.Loader { return e.ld }

// run calls fn on a fresh thread set up for the call: named after it,
// with the step limit, print to the call's logger, the call's locals and
// set-up hooks, and cancellation when ctx is done. Failures are counted,
// logged with the Starlark backtrace and returned as *CallError.
func (e *Engine) run(ctx context.Context, kind Entry, info CallInfo, module, function string, fn starlark.Value, args starlark.Tuple) (result starlark.Value, err error) {
	start := time.Now()
	c := &e.m.entries[kind]
	c.calls.Add(1)
	e.m.inFlight.Add(1)
	// The thread and the engine's per-call state share one allocation.
	ct := &struct {
		thread starlark.Thread
		state  callState
	}{state: callState{ctx: ctx, info: info, module: module, function: function, base: e.log}}
	cs, thread := &ct.state, &ct.thread
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in a builtin: %v", r)
		}
		e.m.inFlight.Add(-1)
		e.m.observe(time.Since(start))
		if err != nil {
			err = e.fail(ctx, c, cs, err)
		}
	}()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("not started: %w", context.Cause(ctx))
	}

	thread.Name = info.UUID + " " + module
	thread.Print = printToCall
	thread.SetLocal(localKey, cs)
	for k, v := range info.Locals {
		thread.SetLocal(k, v)
	}
	cs.meter = e.memory.Attach(thread, e.maxSteps, onMaxSteps)
	defer cs.meter.Release()
	for _, f := range e.setup {
		f(thread, info)
	}
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() { thread.Cancel(context.Cause(ctx).Error()) })
		defer stop()
	}
	return starlark.Call(thread, fn, args, nil)
}

// onMaxSteps is every call thread's OnMaxSteps: it marks the call as
// stopped by the step limit and cancels the thread as Starlark's default
// does.
func onMaxSteps(thread *starlark.Thread) {
	if cs, ok := thread.Local(localKey).(*callState); ok {
		cs.stepLimited.Store(true)
	}
	thread.Cancel("too many steps")
}

// fail counts, logs and wraps the error of a call.
func (e *Engine) fail(ctx context.Context, c *entryCounters, cs *callState, err error) error {
	c.errors.Add(1)
	log := cs.logger()
	switch {
	case ctx.Err() != nil:
		c.cancelled.Add(1)
		err = fmt.Errorf("%w (%w)", err, context.Cause(ctx))
		log.Info("call cancelled", OutcomeKey, "cancelled", "error", err.Error(), "backtrace", Backtrace(err))
	case cs.stepLimited.Load():
		c.stepLimited.Add(1)
		err = fmt.Errorf("%w (%w)", err, ErrStepLimit)
		log.Error("call stopped by the step limit", OutcomeKey, "step_limit", "max_steps", e.maxSteps, "backtrace", Backtrace(err))
	case cs.meter.Err() != nil:
		be := cs.meter.Err()
		c.memoryLimited.Add(1)
		if !errors.Is(err, membudget.ErrBudget) {
			err = fmt.Errorf("%w (%w)", err, be)
		}
		log.Error("call stopped by the memory budget", OutcomeKey, "memory_budget", "error", be.Error(),
			"held_bytes", be.Held, "budget_bytes", be.Budget, "process", be.Process, "backtrace", Backtrace(err))
	default:
		args := []any{OutcomeKey, "failed", "error", err.Error()}
		if bt := Backtrace(err); bt != "" {
			args = append(args, "backtrace", bt)
		}
		log.Error("call failed", args...)
	}
	var ce *CallError
	if errors.As(err, &ce) {
		return err
	}
	return &CallError{UUID: cs.info.UUID, Module: cs.module, Function: cs.function, Err: err}
}
