package sqlpool

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Conn is one connection taken from a Pool by Conn, held until Release. Like
// a *sql.Conn, it is for one user at a time; after Release its methods fail
// with sql.ErrConnDone.
type Conn struct {
	conn     *sql.Conn
	ds       DataSource
	released bool
}

// Exec runs a statement that returns no rows, and says how many rows it
// changed (0 when the driver cannot tell).
func (c *Conn) Exec(ctx context.Context, stmt string, args ...any) (changed int64, err error) {
	res, err := c.conn.ExecContext(ctx, stmt, args...)
	if err != nil {
		return 0, err
	}
	changed, _ = res.RowsAffected()
	return changed, nil
}

// Rows runs a query and calls f with each row until f returns stop or an
// error, which Rows returns as it is. vals are the driver's values (nil for
// NULL, int64, float64, bool, string, []byte, time.Time); cols and vals are
// only valid during f.
func (c *Conn) Rows(ctx context.Context, stmt string, args []any, f func(cols []string, vals []any) (stop bool, err error)) error {
	rows, err := c.conn.QueryContext(ctx, stmt, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		stop, err := f(cols, vals)
		if err != nil {
			return err
		}
		if stop {
			return nil
		}
	}
	return rows.Err()
}

// TextRows is Rows with every value as text, as mod_lua gives it: the text
// the database writes for it, "" for NULL. PostgreSQL is asked for every
// column in text format and its text is given as the server wrote it (2 for
// a float8 2.0, \x0102 for a bytea, t for true, the session's time zone on
// a timestamptz), as mod_lua's pgsql handles give it; database/sql would
// decode the values to Go's first. SQLite's values are written as SQLite
// writes them (2.0 and 0.1 for reals).
func (c *Conn) TextRows(ctx context.Context, stmt string, args []any, f func(cols, vals []string) (stop bool, err error)) error {
	if c.ds.Driver == "pgx" {
		return c.pgTextRows(ctx, stmt, args, f)
	}
	var text []string
	return c.Rows(ctx, stmt, args, func(cols []string, vals []any) (bool, error) {
		text = text[:0]
		for _, v := range vals {
			text = append(text, textOf(v))
		}
		return f(cols, text)
	})
}

// pgTextRows is TextRows on PostgreSQL, through pgx's own connection.
func (c *Conn) pgTextRows(ctx context.Context, stmt string, args []any, f func(cols, vals []string) (stop bool, err error)) error {
	return c.conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("postgres connection of type %T, want pgx's", dc)
		}
		rows, err := sc.Conn().Query(ctx, stmt, append([]any{pgx.QueryResultFormats{pgx.TextFormatCode}}, args...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		fields := rows.FieldDescriptions()
		cols := make([]string, len(fields))
		for i, fd := range fields {
			cols[i] = fd.Name
		}
		vals := make([]string, len(fields))
		for rows.Next() {
			for i, raw := range rows.RawValues() {
				vals[i] = string(raw) // NULL is a nil raw value: ""
			}
			stop, err := f(cols, vals)
			if err != nil {
				return err
			}
			if stop {
				return nil
			}
		}
		return rows.Err()
	})
}

// textOf writes a driver value as the database writes it (SQLite's for a
// real: "2.0", "0.1"), "" for NULL.
func textOf(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		t := strconv.FormatFloat(v, 'g', 15, 64)
		if !strings.ContainsAny(t, ".eEnN") { // SQLite writes 2.0, not 2
			t += ".0"
		}
		return t
	case bool:
		if v {
			return "t" // PostgreSQL's text for true
		}
		return "f"
	case string:
		return v
	case []byte:
		return string(v)
	case time.Time:
		return v.Format("2006-01-02 15:04:05.999999999Z07")
	}
	return fmt.Sprint(v)
}

// Release gives the connection back to the pool. A transaction left open is
// rolled back first: the next user of the connection must not run inside
// it (nor wait on its locks). Release again does nothing.
func (c *Conn) Release() error {
	if c.released {
		return nil
	}
	c.released = true
	c.rollbackOpen()
	return c.conn.Close()
}

// rollbackOpen rolls back a transaction left open on an SQLite connection
// (bounded: the caller's context may be gone already). pgx's driver itself
// discards a PostgreSQL connection with an open transaction when the pool
// hands it out again.
func (c *Conn) rollbackOpen() {
	if c.ds.Driver != "sqlite" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.conn.ExecContext(ctx, "ROLLBACK") // "no transaction is active" when there is none
}
