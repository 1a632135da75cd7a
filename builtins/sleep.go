package builtins

import (
	"context"
	"fmt"
	"time"

	"go.starlark.net/starlark"
)

// maxSleep bounds one msleep (a day): a longer wait is a script bug.
const maxSleep = 24 * time.Hour

func msleep(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var ms int64
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "ms", &ms); err != nil {
		return nil, err
	}
	if ms < 0 || time.Duration(ms) > maxSleep/time.Millisecond {
		return nil, fmt.Errorf("%s: %d ms is out of range (0 to %d)", fn.Name(), ms, maxSleep/time.Millisecond)
	}
	if err := sleepCtx(CallOf(thread).ctx(), time.Duration(ms)*time.Millisecond); err != nil {
		return nil, fmt.Errorf("%s: interrupted: %w", fn.Name(), err)
	}
	return starlark.None, nil
}

// sleepCtx waits for d or until ctx ends, whichever comes first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// nowMillis is fsstar's clock in milliseconds since the epoch (API.getTime).
func nowMillis() int64 { return time.Now().UnixMilli() }
