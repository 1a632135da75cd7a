package sqlpool

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// SQLite's values as mod_lua gives them: its text, "" for NULL; Rows gives
// the driver's values.
func TestRowsSQLite(t *testing.T) {
	c := take(t, newPool(t), parse(t, "sqlite://:memory:", ""))
	defer c.Release()
	const stmt = "select 2.0 as r, 0.1 as t, 10 as i, null as n, 'x' as s, x'0102' as b, ? as p"
	want := [][]string{{"2.0", "0.1", "10", "", "x", "\x01\x02", "arg"}}
	if got := textRows(t, c, stmt, "arg"); !cmp.Equal(got, want) {
		t.Errorf("TextRows: %s", cmp.Diff(want, got))
	}
	var cols []string
	var vals []any
	err := c.Rows(context.Background(), stmt, []any{"arg"}, func(cs []string, vs []any) (bool, error) {
		cols, vals = append(cols, cs...), append(vals, vs...)
		return false, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"r", "t", "i", "n", "s", "b", "p"}; !cmp.Equal(cols, want) {
		t.Errorf("columns: %s", cmp.Diff(want, cols))
	}
	if want := []any{2.0, 0.1, int64(10), nil, "x", []byte{1, 2}, "arg"}; !cmp.Equal(vals, want) {
		t.Errorf("Rows: %s", cmp.Diff(want, vals))
	}
}

// f stops the rows by returning true, and its error is returned as it is.
func TestRowsStopAndError(t *testing.T) {
	c := take(t, newPool(t), parse(t, "sqlite://:memory:", ""))
	defer c.Release()
	const stmt = "with recursive n(i) as (select 1 union all select i+1 from n where i < 5) select i from n"
	var seen []string
	err := c.TextRows(context.Background(), stmt, nil, func(_, vals []string) (bool, error) {
		seen = append(seen, vals[0])
		return len(seen) == 2, nil
	})
	if err != nil || !cmp.Equal(seen, []string{"1", "2"}) {
		t.Errorf("stop at the second row: %v %v", seen, err)
	}
	boom := errors.New("boom")
	err = c.Rows(context.Background(), stmt, nil, func([]string, []any) (bool, error) { return false, boom })
	if err != boom {
		t.Errorf("f's error: got %v, want it as it is", err)
	}
	err = c.TextRows(context.Background(), "select * from nowhere", nil, func([]string, []string) (bool, error) { return false, nil })
	if err == nil || err.Error() != "SQL logic error: no such table: nowhere (1)" {
		t.Errorf("an SQL error: %v, want SQLite's message as it is", err)
	}
}

// A transaction left open is rolled back on Release: the next user of the
// file is not inside it and does not wait on its lock.
func TestReleaseRollsBackSQLite(t *testing.T) {
	p := newPool(t)
	ds := parse(t, "sqlite://tx", t.TempDir())
	c := take(t, p, ds)
	exec(t, c, "create table t (v text)")
	exec(t, c, "begin")
	exec(t, c, "insert into t values ('uncommitted')")
	if err := c.Release(); err != nil {
		t.Fatal(err)
	}
	if err := c.Release(); err != nil {
		t.Errorf("Release again: %v", err)
	}
	if _, err := c.Exec(context.Background(), "select 1"); !errors.Is(err, sql.ErrConnDone) {
		t.Errorf("Exec after Release: %v, want sql.ErrConnDone", err)
	}
	next := take(t, p, ds)
	defer next.Release()
	if _, err := next.Exec(context.Background(), "commit"); err == nil {
		t.Error("commit on the next connection succeeded: it was inside the first one's transaction")
	}
	if got := textRows(t, next, "select count(*) from t"); !cmp.Equal(got, [][]string{{"0"}}) {
		t.Errorf("rows after the rollback: %v", got)
	}
}

// postgresDSN returns the DSN of the real PostgreSQL server the tests run
// against (FSSTAR_TEST_POSTGRES, a postgres:// URL: tools/postgres/start.sh
// starts one and prints it), or skips saying so.
func postgresDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("FSSTAR_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("FSSTAR_TEST_POSTGRES is not set: no PostgreSQL server to test the pool against; tools/postgres/start.sh starts one")
	}
	return dsn
}

// PostgreSQL's values as the server writes them, "" for NULL; Rows gives
// the driver's values; errors are the server's.
func TestRowsPostgres(t *testing.T) {
	c := take(t, newPool(t), parse(t, postgresDSN(t), ""))
	defer c.Release()
	exec(t, c, "set timezone to 'UTC'")
	const stmt = `select 2.0::float8 as r, 1e15::float8 as e, 2.50::numeric as d, '\x0102'::bytea as b, true as v, null as n, '2026-01-02 03:04:05.5+00'::timestamptz as ts, '{1,2}'::int[] as a, $1::text as p`
	want := [][]string{{"2", "1e+15", "2.50", `\x0102`, "t", "", "2026-01-02 03:04:05.5+00", "{1,2}", "arg"}}
	if got := textRows(t, c, stmt, "arg"); !cmp.Equal(got, want) {
		t.Errorf("TextRows: %s", cmp.Diff(want, got))
	}
	var vals []any
	err := c.Rows(context.Background(), stmt, []any{"arg"}, func(_ []string, vs []any) (bool, error) {
		vals = append(vals, vs...)
		return false, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2026, 1, 2, 3, 4, 5, 500000000, time.UTC)
	if len(vals) != 9 || vals[0] != 2.0 || vals[3] == nil || string(vals[3].([]byte)) != "\x01\x02" || vals[4] != true || vals[5] != nil || !vals[6].(time.Time).Equal(ts) {
		t.Errorf("Rows: %#v", vals)
	}
	_, err = c.Exec(context.Background(), "select 1 / $1::int", 0)
	if err == nil || err.Error() != "ERROR: division by zero (SQLSTATE 22012)" {
		t.Errorf("an SQL error: %v, want the server's message as it is", err)
	}
}

// backend returns the server process of a connection taken from p.
func backend(t *testing.T, p *Pool, ds DataSource) string {
	t.Helper()
	c := take(t, p, ds)
	defer c.Release()
	return textRows(t, c, "select pg_backend_pid()")[0][0]
}

// One pool per DSN: a connection given back is taken again for the same
// DSN; another DSN has connections of its own.
func TestPoolPostgresPerDSN(t *testing.T) {
	dsn := postgresDSN(t)
	p := newPool(t)
	ds := parse(t, dsn, "")
	first, second := backend(t, p, ds), backend(t, p, ds)
	if first != second {
		t.Fatalf("the second connection is server process %s, the first %s: not reused", second, first)
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	if other := backend(t, p, parse(t, dsn+sep+"application_name=fsstar_sqlpool_test", "")); other == first {
		t.Fatalf("another DSN ran on the first DSN's connection (server process %s)", other)
	}
}

// A transaction left open is not there for the next user of the pool.
func TestReleaseRollsBackPostgres(t *testing.T) {
	p := newPool(t)
	p.MaxOpenConns = 1
	ds := parse(t, postgresDSN(t), "")
	c := take(t, p, ds)
	exec(t, c, "begin")
	exec(t, c, "create temporary table sqlpool_open_tx (v int)") // gives the transaction an id
	if got := textRows(t, c, "select txid_current_if_assigned() is not null"); !cmp.Equal(got, [][]string{{"t"}}) {
		t.Fatalf("inside the transaction: %v", got)
	}
	if err := c.Release(); err != nil {
		t.Fatal(err)
	}
	next := take(t, p, ds)
	defer next.Release()
	got := textRows(t, next, "select txid_current_if_assigned(), to_regclass('pg_temp.sqlpool_open_tx')")
	if want := [][]string{{"", ""}}; !cmp.Equal(got, want) {
		t.Errorf("the next user is inside the first one's transaction: %s", cmp.Diff(want, got))
	}
}
