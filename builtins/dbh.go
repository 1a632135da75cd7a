package builtins

import (
	"context"
	"errors"
	"fmt"
	gotime "time"

	"github.com/fsstar/fsstar/sqlpool"
	"go.starlark.net/lib/time"
	"go.starlark.net/starlark"
)

// Dbh is the Starlark value of a database handle (freeswitch.Dbh): one
// connection taken from the server's sqlpool.Pool until release() or the end
// of the call.
type Dbh struct {
	env     *env
	ds      sqlpool.DataSource
	conn    *sqlpool.Conn // nil when not connected or released
	connErr string        // why it is not connected
	lastErr string
	hasErr  bool
	changed int64
	busy    bool // inside a query's row callback
	// typed: rows carry typed values (int, float, bytes, time, None for
	// NULL) instead of mod_lua's strings, "" for NULL.
	typed bool
}

var _ starlark.HasAttrs = (*Dbh)(nil)

func (e *env) newDbh(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var dsn, user, pass string
	var typed bool
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "dsn", &dsn, "user?", &user, "pass?", &pass, "typed?", &typed); err != nil {
		return nil, err
	}
	if e.opts.DB == nil {
		return nil, fmt.Errorf("%s: databases are not enabled on this server (no database pool)", fn.Name())
	}
	if CallOf(thread) == nil {
		// Module globals are shared by every call: a handle made while the
		// module loads would carry one call's transaction and errors into
		// the next (mod_python's module-global pitfall).
		return nil, fmt.Errorf("%s: open database handles inside the function a call runs (handler, fsapi, runtime...), not when the module loads: a module-level handle would be shared by every call", fn.Name())
	}
	root := ""
	if len(e.opts.Roots) > 0 {
		root = e.opts.Roots[0]
	}
	ds, err := sqlpool.ParseDSN(dsn, user, pass, root)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", fn.Name(), err)
	}
	c := CallOf(thread)
	ctx := c.ctx()
	h := &Dbh{env: e, ds: ds, typed: typed}
	conn, err := e.opts.DB.Conn(ctx, ds)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %s: %w", fn.Name(), ds.Display, context.Cause(ctx))
		}
		// As mod_lua: the handle exists, connected() is False, last_error() says why.
		h.connErr = err.Error()
		h.setErr(err)
		return h, nil
	}
	h.conn = conn
	if c != nil && !c.OnClose(h.release) {
		h.release()
		return nil, fmt.Errorf("%s: the call has ended", fn.Name())
	}
	return h, nil
}

func (h *Dbh) String() string {
	state := "connected"
	if h.conn == nil {
		state = "not connected"
	}
	return fmt.Sprintf("<Dbh %s %s>", h.ds.Display, state)
}
func (h *Dbh) Type() string          { return "Dbh" }
func (h *Dbh) Freeze()               {}
func (h *Dbh) Truth() starlark.Bool  { return starlark.True }
func (h *Dbh) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: Dbh") }

// dbhMethods are the Starlark methods of a Dbh.
var dbhMethods = methods[*Dbh]{
	"query":          (*Dbh).query,
	"query_rows":     (*Dbh).queryRows,
	"affected_rows":  (*Dbh).affectedRows,
	"last_error":     (*Dbh).lastError,
	"clear_error":    (*Dbh).clearError,
	"release":        (*Dbh).releaseMethod,
	"connected":      (*Dbh).connected,
	"test_reactive":  (*Dbh).testReactive,
	"load_extension": (*Dbh).loadExtension,
}

// Attr returns the method called name (dbhMethods).
func (h *Dbh) Attr(name string) (starlark.Value, error) { return dbhMethods.attr(h, "Dbh", name) }

// AttrNames lists the methods of dbhMethods.
func (h *Dbh) AttrNames() []string { return dbhMethods.names() }

func (h *Dbh) setErr(err error) {
	h.lastErr, h.hasErr = err.Error(), true
}

// usable fails when the handle cannot run a statement now; a handle that
// never connected is not an error here (query returns False, as in mod_lua).
func (h *Dbh) usable(fn *starlark.Builtin) error {
	if h.busy {
		return fmt.Errorf("%s: called from inside a row callback of the same handle; collect the rows first (query_rows) or use a second handle", fn.Name())
	}
	if h.conn == nil && h.connErr == "" {
		return fmt.Errorf("%s: the handle was released", fn.Name())
	}
	return nil
}

// fail records err for last_error and returns False, unless the call is
// ending, which is an error: the script must stop.
func (h *Dbh) fail(ctx context.Context, fn *starlark.Builtin, err error) (starlark.Value, error) {
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%s: %w", fn.Name(), context.Cause(ctx))
	}
	h.setErr(err)
	return starlark.False, nil
}

func sqlArgs(fn *starlark.Builtin, args starlark.Value) ([]any, error) {
	if args == nil || args == starlark.None {
		return nil, nil
	}
	it, ok := args.(starlark.Indexable)
	if !ok {
		return nil, fmt.Errorf("%s: args: got %s, want a list or tuple", fn.Name(), args.Type())
	}
	out := make([]any, it.Len())
	for i := range out {
		switch v := it.Index(i).(type) {
		case starlark.NoneType:
			out[i] = nil
		case starlark.String:
			out[i] = string(v)
		case starlark.Bytes:
			out[i] = []byte(v)
		case starlark.Bool:
			out[i] = bool(v)
		case starlark.Int:
			n, ok := v.Int64()
			if !ok {
				return nil, fmt.Errorf("%s: args[%d]: %v does not fit in 64 bits", fn.Name(), i, v)
			}
			out[i] = n
		case starlark.Float:
			out[i] = float64(v)
		default:
			return nil, fmt.Errorf("%s: args[%d]: cannot pass a %s to SQL", fn.Name(), i, v.Type())
		}
	}
	return out, nil
}

// query(sql, fn=None, args=None)
func (h *Dbh) query(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var (
		stmt     string
		cbValue  starlark.Value
		params   starlark.Value
		callback starlark.Callable
	)
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "sql", &stmt, "fn?", &cbValue, "args?", &params); err != nil {
		return nil, err
	}
	if cbValue != nil && cbValue != starlark.None {
		c, ok := cbValue.(starlark.Callable)
		if !ok {
			return nil, fmt.Errorf("%s: for parameter fn: got %s, want callable or None", fn.Name(), cbValue.Type())
		}
		callback = c
	}
	if err := h.usable(fn); err != nil {
		return nil, err
	}
	sqlParams, err := sqlArgs(fn, params)
	if err != nil {
		return nil, err
	}
	ctx := CallOf(thread).ctx()
	if h.conn == nil {
		return h.fail(ctx, fn, fmt.Errorf("not connected: %s", h.connErr))
	}
	if callback == nil {
		changed, err := h.conn.Exec(ctx, stmt, sqlParams...)
		if err != nil {
			return h.fail(ctx, fn, err)
		}
		h.changed = changed
		return starlark.True, nil
	}
	h.changed = 0
	h.busy = true
	defer func() { h.busy = false }()
	err = h.eachRow(ctx, stmt, sqlParams, func(row *starlark.Dict) (bool, error) {
		res, err := starlark.Call(thread, callback, starlark.Tuple{row}, nil)
		if err != nil {
			return false, err
		}
		return bool(res.Truth()), nil // as mod_lua: a non-zero (true-ish) result stops
	})
	var cbErr *callbackError
	if errors.As(err, &cbErr) {
		return nil, cbErr.err // the script's own error, with its backtrace
	}
	if err != nil {
		return h.fail(ctx, fn, err)
	}
	return starlark.True, nil
}

// callbackError carries an error raised by the script's row callback.
type callbackError struct{ err error }

func (e *callbackError) Error() string { return e.err.Error() }

// eachRow runs stmt and calls f with each row as a dict until f returns
// true: values as the database's text (mod_lua's rows), or typed.
func (h *Dbh) eachRow(ctx context.Context, stmt string, params []any, f func(*starlark.Dict) (stop bool, err error)) error {
	call := func(row *starlark.Dict) (bool, error) {
		stop, err := f(row)
		if err != nil {
			return false, &callbackError{err}
		}
		return stop, nil
	}
	if h.typed {
		return h.conn.Rows(ctx, stmt, params, func(cols []string, vals []any) (bool, error) {
			row := starlark.NewDict(len(cols))
			for i, c := range cols {
				if err := row.SetKey(starlark.String(c), sqlValue(vals[i])); err != nil {
					return false, err
				}
			}
			return call(row)
		})
	}
	return h.conn.TextRows(ctx, stmt, params, func(cols, vals []string) (bool, error) {
		row := starlark.NewDict(len(cols))
		for i, c := range cols {
			if err := row.SetKey(starlark.String(c), starlark.String(vals[i])); err != nil {
				return false, err
			}
		}
		return call(row)
	})
}

// sqlValue converts a column value: NULL is None, integers int, reals float,
// text str, blobs bytes, timestamps time.time values.
func sqlValue(v any) starlark.Value {
	switch v := v.(type) {
	case nil:
		return starlark.None
	case int64:
		return starlark.MakeInt64(v)
	case float64:
		return starlark.Float(v)
	case bool:
		return starlark.Bool(v)
	case string:
		return starlark.String(v)
	case []byte:
		return starlark.Bytes(v)
	case gotime.Time:
		return time.Time(v)
	}
	return starlark.String(fmt.Sprint(v))
}

// query_rows(sql, args=None)
func (h *Dbh) queryRows(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var (
		stmt   string
		params starlark.Value
	)
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "sql", &stmt, "args?", &params); err != nil {
		return nil, err
	}
	if err := h.usable(fn); err != nil {
		return nil, err
	}
	sqlParams, err := sqlArgs(fn, params)
	if err != nil {
		return nil, err
	}
	ctx := CallOf(thread).ctx()
	if h.conn == nil {
		return nil, fmt.Errorf("%s: not connected: %s", fn.Name(), h.connErr)
	}
	max := h.env.opts.MaxRows
	var rows []starlark.Value
	h.changed = 0
	err = h.eachRow(ctx, stmt, sqlParams, func(row *starlark.Dict) (bool, error) {
		if len(rows) == max {
			return false, fmt.Errorf("more than %d rows; add a LIMIT or use query(sql, fn)", max)
		}
		rows = append(rows, row)
		return false, nil
	})
	var cbErr *callbackError
	if errors.As(err, &cbErr) {
		err = cbErr.err
	}
	if err != nil {
		// query_rows has no False to return: an error is an error, and is
		// kept for last_error too.
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w", fn.Name(), context.Cause(ctx))
		}
		h.setErr(err)
		return nil, fmt.Errorf("%s: %v", fn.Name(), err)
	}
	return starlark.NewList(rows), nil
}

func (h *Dbh) affectedRows(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs); err != nil {
		return nil, err
	}
	return starlark.MakeInt64(h.changed), nil
}

func (h *Dbh) lastError(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs); err != nil {
		return nil, err
	}
	if !h.hasErr {
		return starlark.None, nil
	}
	return starlark.String(h.lastErr), nil
}

func (h *Dbh) clearError(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs); err != nil {
		return nil, err
	}
	h.lastErr, h.hasErr = "", false
	return starlark.None, nil
}

func (h *Dbh) connected(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs); err != nil {
		return nil, err
	}
	return starlark.Bool(h.conn != nil), nil
}

// release gives the connection back to the pool (which rolls back a
// transaction the script left open); the Call runs it at the end.
func (h *Dbh) release() error {
	if h.conn == nil {
		return nil
	}
	err := h.conn.Release()
	h.conn, h.connErr = nil, ""
	return err
}

func (h *Dbh) releaseMethod(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs); err != nil {
		return nil, err
	}
	if h.busy {
		return nil, fmt.Errorf("%s: called from inside a row callback of the same handle", fn.Name())
	}
	had := h.conn != nil
	h.connErr = ""
	if err := h.release(); err != nil {
		return nil, fmt.Errorf("%s: %v", fn.Name(), err)
	}
	return starlark.Bool(had), nil
}

// test_reactive(test_sql, drop_sql, reactive_sql): run test_sql; when it
// fails, run drop_sql (its error ignored) and then reactive_sql.
func (h *Dbh) testReactive(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var test, drop, reactive string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "test_sql", &test, "drop_sql?", &drop, "reactive_sql?", &reactive); err != nil {
		return nil, err
	}
	if test == "" || reactive == "" {
		// As Dbh::test_reactive: "Missing parameters." and false.
		callLogger(thread).Error("Dbh.test_reactive: missing parameters (test_sql and reactive_sql are needed)")
		return starlark.False, nil
	}
	if err := h.usable(fn); err != nil {
		return nil, err
	}
	ctx := CallOf(thread).ctx()
	if h.conn == nil {
		return h.fail(ctx, fn, fmt.Errorf("not connected: %s", h.connErr))
	}
	if err := h.eachRow(ctx, test, nil, func(*starlark.Dict) (bool, error) { return true, nil }); err == nil {
		return starlark.True, nil
	}
	if drop != "" {
		h.conn.Exec(ctx, drop) // may fail: the table may not exist
	}
	if _, err := h.conn.Exec(ctx, reactive); err != nil {
		return h.fail(ctx, fn, err)
	}
	return starlark.True, nil
}

func (h *Dbh) loadExtension(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return nil, fmt.Errorf("%s: not supported: fsstar does not load native code into its databases (use what the database has built in, or postgres:// where extensions live in the server)", fn.Name())
}
