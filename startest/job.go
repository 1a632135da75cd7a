package startest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.starlark.net/starlark"
)

// start(module, args="", timeout=10000): starts runtime(args) in the
// background and returns a job; job.wait() returns what runtime returned.
func (t *T) start(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var module, a string
	timeout := 10000
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "module", &module, "args?", &a, "timeout?", &timeout); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(contextOf(thread), time.Duration(timeout)*time.Millisecond)
	j := &jobValue{module: module, done: make(chan struct{})}
	go func() {
		defer close(j.done)
		defer cancel()
		j.val, j.err = t.env.Server.RunJob(ctx, "", module, a)
	}()
	return j, nil
}

// jobValue is a runtime job started by t.start.
type jobValue struct {
	module string
	done   chan struct{}
	val    starlark.Value
	err    error
}

func (j *jobValue) String() string        { return "<job " + j.module + ">" }
func (j *jobValue) Type() string          { return "job" }
func (j *jobValue) Freeze()               {}
func (j *jobValue) Truth() starlark.Bool  { return true }
func (j *jobValue) Hash() (uint32, error) { return 0, errors.New("unhashable type: job") }
func (j *jobValue) AttrNames() []string   { return []string{"wait"} }

func (j *jobValue) Attr(name string) (starlark.Value, error) {
	if name != "wait" {
		return nil, nil
	}
	return starlark.NewBuiltin("job.wait", func(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if err := starlark.UnpackArgs(fn.Name(), args, kwargs); err != nil {
			return nil, err
		}
		select {
		case <-j.done:
		case <-contextOf(thread).Done():
			return nil, fmt.Errorf("%s: %w", fn.Name(), context.Cause(contextOf(thread)))
		}
		if j.err != nil {
			return nil, fmt.Errorf("%s: %s: %w", fn.Name(), j.module, j.err)
		}
		return j.val, nil
	}), nil
}

// channel(uuid): any channel of the simulated switch (a b-leg the script
// originated, say), read like a call; None when the switch has none.
func (t *T) channel(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var id string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "uuid", &id); err != nil {
		return nil, err
	}
	ch := t.env.Switch.Channel(id)
	if ch == nil {
		return starlark.None, nil
	}
	return &callValue{t: t, ch: ch, module: ch.Name(), where: t.where(thread), timeout: 10 * time.Second, checked: true}, nil
}
