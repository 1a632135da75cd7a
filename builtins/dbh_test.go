package builtins

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsstar/fsstar/sqlpool"
	"github.com/google/uuid"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// dbOptions returns options with a script root that has a db/ directory and
// a pool closed with the test.
func dbOptions(t *testing.T) Options {
	t.Helper()
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "db"), 0o755); err != nil {
		t.Fatal(err)
	}
	pool := sqlpool.New()
	t.Cleanup(func() {
		if err := pool.Close(); err != nil {
			t.Errorf("sqlpool.Pool.Close: %v", err)
		}
	})
	return Options{Roots: []string{root}, DB: pool, MaxRows: 5}
}

const schema = `
dbh = freeswitch.Dbh("sqlite://db/test")
dbh.query("create table callers (number text primary key, name text, calls integer, score real, photo blob)")
dbh.query("insert into callers values ('1001', 'Alice', 3, 1.5, x'0102')")
dbh.query("insert into callers values (?, ?, ?, ?, ?)", args=["1002", "Bob", 0, None, None])
dbh.query("insert into callers (number, name, calls) values (?, ?, ?)", None, ("1003", "Carol", 7))
`

func TestDbhSQLite(t *testing.T) {
	runCasesWith(t, dbOptions, []scriptCase{
		{name: "connected", src: `
dbh = freeswitch.Dbh("sqlite://db/test")
result = (dbh.connected(), str(dbh), type(dbh), dbh.last_error())`, want: `(True, "<Dbh sqlite://db/test connected>", "Dbh", None)`},
		{name: "insert and affected rows", src: schema + `
dbh.query("update callers set calls = calls + 1 where calls > 0")
result = dbh.affected_rows()`, want: `2`},
		{name: "callback per row", src: schema + `
rows = []
ok = dbh.query("select number, name, calls, score, photo from callers order by number", lambda row: rows.append(row))
result = (ok, rows)`, want: `(True, [{"number": "1001", "name": "Alice", "calls": "3", "score": "1.5", "photo": "\x01\x02"}, {"number": "1002", "name": "Bob", "calls": "0", "score": "", "photo": ""}, {"number": "1003", "name": "Carol", "calls": "7", "score": "", "photo": ""}])`},
		// mod_lua gives every value as the database's text, NULL as "";
		// typed=True keeps the database's types.
		{name: "values as mod_lua's strings", src: `
dbh = freeswitch.Dbh("sqlite://db/test")
result = dbh.query_rows("select 2.0 as r, 0.1 as t, 10 as i, null as n, 'x' as s")`, want: `[{"r": "2.0", "t": "0.1", "i": "10", "n": "", "s": "x"}]`},
		{name: "typed values", src: `
dbh = freeswitch.Dbh("sqlite://db/test", typed=True)
dbh.query("create table callers (number text primary key, name text, calls integer, score real, photo blob)")
dbh.query("insert into callers values ('1001', 'Alice', 3, 1.5, x'0102')")
dbh.query("insert into callers values (?, ?, ?, ?, ?)", args=["1002", "Bob", 0, None, None])
result = dbh.query_rows("select number, name, calls, score, photo from callers order by number")`, want: `[{"number": "1001", "name": "Alice", "calls": 3, "score": 1.5, "photo": b"\x01\x02"}, {"number": "1002", "name": "Bob", "calls": 0, "score": None, "photo": None}]`},
		{name: "test_reactive without drop and reactive", src: `
dbh = freeswitch.Dbh("sqlite://db/test")
result = (dbh.test_reactive("select 1"), dbh.test_reactive("select * from nothing_here", reactive_sql="create table nothing_here (a)"), dbh.query_rows("select count(*) as n from nothing_here"))`,
			want: `(False, True, [{"n": "0"}])`},
		{name: "callback stops on true", src: schema + `
seen = []
def cb(row):
    seen.append(row["number"])
    return len(seen) == 2
result = (dbh.query("select number from callers order by number", cb), seen)`, want: `(True, ["1001", "1002"])`},
		{name: "callback stops on non-zero, goes on on zero and None", src: schema + `
seen = []
def cb(row):
    seen.append(row["number"])
    return 1 if row["number"] == "1002" else 0
dbh.query("select number from callers order by number", fn=cb)
result = seen`, want: `["1001", "1002"]`},
		{name: "query_rows", src: schema + `result = dbh.query_rows("select name from callers where calls >= ? order by name", [1])`,
			want: `[{"name": "Alice"}, {"name": "Carol"}]`},
		{name: "query_rows too many", src: `
dbh = freeswitch.Dbh("sqlite://:memory:")
dbh.query_rows("with recursive n(i) as (select 1 union all select i+1 from n where i < 6) select i from n")`,
			wantErr: `Dbh.query_rows: more than 5 rows; add a LIMIT`},
		{name: "sql error goes to last_error", src: `
dbh = freeswitch.Dbh("sqlite://db/test")
ok = dbh.query("select * from no_such_table")
err = dbh.last_error()
dbh.clear_error()
result = (ok, "no such table: no_such_table" in err, dbh.last_error())`, want: `(False, True, None)`},
		{name: "sql error with callback", src: `
dbh = freeswitch.Dbh("sqlite://db/test")
result = (dbh.query("select nonsense from", lambda r: None), dbh.last_error())`, want: `(False, "SQL logic error: incomplete input (1)")`},
		{name: "query_rows error raises and is kept", src: `
dbh = freeswitch.Dbh("sqlite://db/test")
dbh.query_rows("select * from no_such_table")`, wantErr: `Dbh.query_rows: SQL logic error: no such table: no_such_table`},
		{name: "callback error propagates", src: schema + `
def cb(row):
    fail("boom on " + row["number"])
dbh.query("select number from callers order by number", cb)`, wantErr: `boom on 1001`},
		{name: "reentrant query refused", src: schema + `
dbh.query("select number from callers", lambda row: dbh.query("select 1"))`, wantErr: `Dbh.query: called from inside a row callback of the same handle`},
		{name: "release", src: `
dbh = freeswitch.Dbh("sqlite://db/test")
result = (dbh.release(), dbh.connected(), dbh.release(), str(dbh))`, want: `(True, False, False, "<Dbh sqlite://db/test not connected>")`},
		{name: "query after release", src: `
dbh = freeswitch.Dbh("sqlite://db/test")
dbh.release()
dbh.query("select 1")`, wantErr: `Dbh.query: the handle was released`},
		{name: "bad args", src: `freeswitch.Dbh("sqlite://db/test").query("select ?", args=[{}])`, wantErr: `Dbh.query: args[0]: cannot pass a dict to SQL`},
		{name: "args not a list", src: `freeswitch.Dbh("sqlite://db/test").query("select ?", args=1)`, wantErr: `Dbh.query: args: got int, want a list or tuple`},
		{name: "fn not callable", src: `freeswitch.Dbh("sqlite://db/test").query("select 1", 1)`, wantErr: `Dbh.query: for parameter fn: got int, want callable or None`},
		{name: "test_reactive creates once", src: `
dbh = freeswitch.Dbh("sqlite://db/test")
a = dbh.test_reactive("select count(*) from counters", "drop table counters", "create table counters (n integer)")
dbh.query("insert into counters values (1)")
b = dbh.test_reactive("select count(*) from counters", "drop table counters", "create table counters (n integer)")
result = (a, b, dbh.query_rows("select n from counters"))`, want: `(True, True, [{"n": "1"}])`},
		{name: "test_reactive failing", src: `
dbh = freeswitch.Dbh("sqlite://db/test")
result = (dbh.test_reactive("select * from nope", "", "create nonsense"), dbh.last_error() != None)`, want: `(False, True)`},
		{name: "load_extension", src: `freeswitch.Dbh("sqlite://db/test").load_extension("x.so")`, wantErr: `Dbh.load_extension: not supported`},
		{name: "unknown scheme", src: `freeswitch.Dbh("odbc://dsn:user:pass")`, wantErr: `freeswitch.Dbh: DSN "odbc://dsn:user:pass": unsupported scheme "odbc"`},
		{name: "no scheme", src: `freeswitch.Dbh("test.db")`, wantErr: `freeswitch.Dbh: DSN "test.db" has no scheme`},
		{name: "sqlite with password", src: `freeswitch.Dbh("sqlite://x", "u", "p")`, wantErr: `freeswitch.Dbh: sqlite:// takes no user or password`},
		{name: "cannot open", src: `
dbh = freeswitch.Dbh("sqlite://no/such/dir/x.db")
result = (dbh.connected(), "unable to open" in dbh.last_error(), dbh.query("select 1"), "not connected" in dbh.last_error())`,
			want: `(False, True, False, True)`},
		{name: "query_rows when not connected", src: `freeswitch.Dbh("sqlite://no/such/dir/x.db").query_rows("select 1")`, wantErr: `Dbh.query_rows: not connected: unable to open`},
		{name: "dir", src: `result = dir(freeswitch.Dbh("sqlite://:memory:"))`,
			want: `["affected_rows", "clear_error", "connected", "last_error", "load_extension", "query", "query_rows", "release", "test_reactive"]`},
	})
}

func TestDbhNoPool(t *testing.T) {
	runCases(t, Options{}, []scriptCase{
		{name: "no pool", src: `freeswitch.Dbh("sqlite://:memory:")`, wantErr: `freeswitch.Dbh: databases are not enabled on this server`},
	})
}

// A file database persists across calls and handles; :memory: is one database
// for the whole pool.
func TestDbhSharedAcrossCalls(t *testing.T) {
	opts := dbOptions(t)
	for _, dsn := range []string{"sqlite://db/shared.db", "sqlite://:memory:"} {
		if _, err := run(t, opts, newCall(t), fmt.Sprintf(`
dbh = freeswitch.Dbh(%q)
dbh.query("create table t (v text)")
dbh.query("insert into t values ('kept')")
dbh.release()`, dsn)); err != nil {
			t.Fatalf("%s: first call: %v", dsn, err)
		}
		v, err := run(t, opts, newCall(t), fmt.Sprintf(`result = freeswitch.Dbh(%q).query_rows("select v from t")`, dsn))
		if err != nil {
			t.Fatalf("%s: second call: %v", dsn, err)
		}
		if v.String() != `[{"v": "kept"}]` {
			t.Fatalf("%s: second call saw %s", dsn, v)
		}
	}
	if _, err := os.Stat(filepath.Join(opts.Roots[0], "db", "shared.db")); err != nil {
		t.Fatalf("the database file is not under the first script root: %v", err)
	}
}

// A handle the script forgets is given back when the call ends; with
// :memory: (one connection) the next call would otherwise wait forever.
func TestDbhReleasedAtCallEnd(t *testing.T) {
	opts := dbOptions(t)
	for i := range 3 {
		call := &Call{Context: context.Background()}
		if _, err := run(t, opts, call, `freeswitch.Dbh("sqlite://:memory:").query("select 1")`); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if err := call.Close(); err != nil {
			t.Fatalf("call %d: Close: %v", i, err)
		}
	}
	ds, err := sqlpool.ParseDSN("sqlite://:memory:", "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if n := opts.DB.Stats(ds).InUse; n != 0 {
		t.Fatalf("%d connections still in use after the calls closed", n)
	}
	// A closed call cannot take a new handle.
	call := &Call{Context: context.Background()}
	call.Close()
	_, err = run(t, opts, call, `freeswitch.Dbh("sqlite://:memory:")`)
	if err == nil || !strings.Contains(err.Error(), "freeswitch.Dbh: the call has ended") {
		t.Fatalf("Dbh on a closed call: %v", err)
	}
}

func TestDbhCancelled(t *testing.T) {
	opts := dbOptions(t)
	ctx, cancel := context.WithCancelCause(context.Background())
	call := &Call{Context: ctx}
	defer call.Close()
	pre := Predeclared(opts)
	pre["hangup"] = starlark.NewBuiltin("hangup", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		cancel(errors.New("the call hung up"))
		return starlark.None, nil
	})
	thread := &starlark.Thread{}
	SetCall(thread, call)
	_, err := starlark.ExecFileOptions(&syntax.FileOptions{}, thread, "t.star", `
dbh = freeswitch.Dbh("sqlite://:memory:")
dbh.query("select 1")
hangup()
dbh.query("select 1")`, pre)
	if err == nil || !strings.Contains(err.Error(), "Dbh.query: the call hung up") {
		t.Fatalf("query after cancel: %v", err)
	}
	_, err = starlark.ExecFileOptions(&syntax.FileOptions{}, thread, "t.star", `freeswitch.Dbh("sqlite://db/x")`, pre)
	if err == nil || !strings.Contains(err.Error(), "freeswitch.Dbh: sqlite://db/x: the call hung up") {
		t.Fatalf("Dbh after cancel: %v", err)
	}
}

// Many calls writing the same file database at once: no SQLITE_BUSY, no race.
func TestDbhConcurrentCalls(t *testing.T) {
	opts := dbOptions(t)
	if _, err := run(t, opts, newCall(t), `freeswitch.Dbh("sqlite://db/c").query("create table hits (n integer)")`); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Go(func() {
			call := &Call{Context: context.Background()}
			defer call.Close()
			_, err := run(t, opts, call, fmt.Sprintf(`
def insert():
    dbh = freeswitch.Dbh("sqlite://db/c")
    if not dbh.query("insert into hits values (%d)"):
        fail(dbh.last_error())
insert()`, i))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	v, err := run(t, opts, newCall(t), `result = freeswitch.Dbh("sqlite://db/c").query_rows("select count(*) as n from hits")`)
	if err != nil || v.String() != `[{"n": "20"}]` {
		t.Fatalf("count: %v %v", v, err)
	}
}

// postgresDSN returns the DSN of the real PostgreSQL server the tests run
// against (FSSTAR_TEST_POSTGRES, a postgres:// URL: tools/postgres/start.sh
// starts one and prints it), or skips saying so.
func postgresDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("FSSTAR_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("FSSTAR_TEST_POSTGRES is not set: no PostgreSQL server to test Dbh against; tools/postgres/start.sh starts one")
	}
	return dsn
}

// pgSchema is schema on PostgreSQL, with more of its types, in a temporary
// table (each case has a pool, so a connection, of its own).
const pgSchema = `
dbh = freeswitch.Dbh(DSN)
dbh.query("set timezone to 'UTC'")
dbh.query("create temporary table callers (number text primary key, name text, calls integer, score double precision, photo bytea, vip boolean, born date, seen timestamptz, balance numeric(10, 2))")
dbh.query("insert into callers values ('1001', 'Alice', 3, 1.5, '\\x0102', true, '1990-05-17', '2026-01-02 03:04:05.5+00', 12.5)")
dbh.query("insert into callers values ($1, $2, $3, $4, $5, $6, $7, $8, $9)", args=["1002", "Bob", 0, None, None, False, None, None, None])
dbh.query("insert into callers (number, name, calls) values ($1, $2, $3)", None, ("1003", "Carol", 7))
`

// TestDbhPostgres is TestDbhSQLite against a real PostgreSQL server: the
// same behaviour, with PostgreSQL's text for the values (as mod_lua's
// pgsql handles give them) and its own messages.
func TestDbhPostgres(t *testing.T) {
	dsn := postgresDSN(t)
	ds, err := sqlpool.ParseDSN(dsn, "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	user := u.User.Username()
	pass, _ := u.User.Password()
	noPass := *u
	noPass.User = nil
	keywords := fmt.Sprintf("pgsql://host=%s port=%s dbname=%s sslmode=disable", u.Hostname(), u.Port(), strings.TrimPrefix(u.Path, "/"))
	cases := []scriptCase{
		{name: "connected", src: `
dbh = freeswitch.Dbh(DSN)
result = (dbh.connected(), str(dbh), type(dbh), dbh.last_error())`, want: fmt.Sprintf(`(True, "<Dbh %s connected>", "Dbh", None)`, ds.Display)},
		{name: "user and pass replace the DSN's", src: fmt.Sprintf(`
dbh = freeswitch.Dbh(%q, %q, %q)
result = (dbh.connected() or dbh.last_error(), dbh.query_rows("select current_user as u"))`, noPass.String(), user, pass),
			want: fmt.Sprintf(`(True, [{"u": %q}])`, user)},
		{name: "pgsql keyword form", src: fmt.Sprintf(`
dbh = freeswitch.Dbh(%q, %q, %q)
result = (dbh.connected() or dbh.last_error(), dbh.query_rows("select current_database() as d"))`, keywords, user, pass),
			want: fmt.Sprintf(`(True, [{"d": %q}])`, strings.TrimPrefix(u.Path, "/"))},
		{name: "wrong password", src: fmt.Sprintf(`
dbh = freeswitch.Dbh(%q, %q, "not-the-pass-42")
err = dbh.last_error()
result = (dbh.connected(), "password authentication failed" in err, "not-the-pass-42" in err, dbh.query("select 1"))`, noPass.String(), user),
			want: `(False, True, False, False)`},
		{name: "insert and affected rows", src: pgSchema + `
dbh.query("update callers set calls = calls + 1 where calls > 0")
a = dbh.affected_rows()
dbh.query("delete from callers where number = $1", args=["1002"])
result = (a, dbh.affected_rows())`, want: `(2, 1)`},
		// PostgreSQL's text for each type, NULL as "".
		{name: "callback per row", src: pgSchema + `
rows = []
ok = dbh.query("select * from callers order by number", lambda row: rows.append(row))
result = (ok, rows)`, want: `(True, [{"number": "1001", "name": "Alice", "calls": "3", "score": "1.5", "photo": "\\x0102", "vip": "t", "born": "1990-05-17", "seen": "2026-01-02 03:04:05.5+00", "balance": "12.50"}, ` +
			`{"number": "1002", "name": "Bob", "calls": "0", "score": "", "photo": "", "vip": "f", "born": "", "seen": "", "balance": ""}, ` +
			`{"number": "1003", "name": "Carol", "calls": "7", "score": "", "photo": "", "vip": "", "born": "", "seen": "", "balance": ""}])`},
		{name: "values as the server's text", src: `
dbh = freeswitch.Dbh(DSN)
result = dbh.query_rows("select 2.0::float8 as r, 0.1::float8 as t, 1e15::float8 as e, 0.1::real as f4, 2.50::numeric as d, 10 as i, null as n, 'x' as s, '{1,2}'::int[] as a, interval '90 minutes' as iv")`,
			want: `[{"r": "2", "t": "0.1", "e": "1e+15", "f4": "0.1", "d": "2.50", "i": "10", "n": "", "s": "x", "a": "{1,2}", "iv": "01:30:00"}]`},
		{name: "typed values", src: strings.Replace(pgSchema, "freeswitch.Dbh(DSN)", "freeswitch.Dbh(DSN, typed=True)", 1) + `
rows = dbh.query_rows("select number, name, calls, score, photo, vip, balance from callers where number < '1003' order by number")
seen = dbh.query_rows("select seen, born from callers where number = '1001'")[0]
result = (rows, type(seen["seen"]), seen["seen"] == time.time(year=2026, month=1, day=2, hour=3, minute=4, second=5, nanosecond=500000000, location="UTC"), type(seen["born"]), seen["born"].year)`,
			want: `([{"number": "1001", "name": "Alice", "calls": 3, "score": 1.5, "photo": b"\x01\x02", "vip": True, "balance": "12.50"}, {"number": "1002", "name": "Bob", "calls": 0, "score": None, "photo": None, "vip": False, "balance": None}], "time.time", True, "time.time", 1990)`},
		{name: "callback stops on true", src: pgSchema + `
seen = []
def cb(row):
    seen.append(row["number"])
    return len(seen) == 2
result = (dbh.query("select number from callers order by number", cb), seen, dbh.query_rows("select count(*) as n from callers"))`, want: `(True, ["1001", "1002"], [{"n": "3"}])`},
		{name: "callback stops on non-zero, goes on on zero and None", src: pgSchema + `
seen = []
def cb(row):
    seen.append(row["number"])
    return 1 if row["number"] == "1002" else 0
dbh.query("select number from callers order by number", fn=cb)
result = seen`, want: `["1001", "1002"]`},
		{name: "query_rows", src: pgSchema + `result = dbh.query_rows("select name from callers where calls >= $1 order by name", [1])`,
			want: `[{"name": "Alice"}, {"name": "Carol"}]`},
		{name: "query_rows too many", src: `freeswitch.Dbh(DSN).query_rows("select i from generate_series(1, 6) as i")`,
			wantErr: `Dbh.query_rows: more than 5 rows; add a LIMIT`},
		{name: "query_rows typed too many", src: `freeswitch.Dbh(DSN, typed=True).query_rows("select i from generate_series(1, 6) as i")`,
			wantErr: `Dbh.query_rows: more than 5 rows; add a LIMIT`},
		{name: "sql error goes to last_error", src: `
dbh = freeswitch.Dbh(DSN)
ok = dbh.query("select * from no_such_table")
err = dbh.last_error()
dbh.clear_error()
result = (ok, err, dbh.last_error(), dbh.query_rows("select 1 as one"))`, want: `(False, "ERROR: relation \"no_such_table\" does not exist (SQLSTATE 42P01)", None, [{"one": "1"}])`},
		{name: "sql error with callback", src: `
dbh = freeswitch.Dbh(DSN)
result = (dbh.query("select nonsense from", lambda r: None), dbh.last_error())`, want: `(False, "ERROR: syntax error at end of input (SQLSTATE 42601)")`},
		{name: "sql error with args", src: `
dbh = freeswitch.Dbh(DSN)
result = (dbh.query("select 1 / $1::int", lambda r: None, [0]), dbh.last_error())`, want: `(False, "ERROR: division by zero (SQLSTATE 22012)")`},
		{name: "query_rows error raises and is kept", src: `
dbh = freeswitch.Dbh(DSN)
dbh.query_rows("select * from no_such_table")`, wantErr: `Dbh.query_rows: ERROR: relation "no_such_table" does not exist (SQLSTATE 42P01)`},
		{name: "callback error propagates", src: pgSchema + `
def cb(row):
    fail("boom on " + row["number"])
dbh.query("select number from callers order by number", cb)`, wantErr: `boom on 1001`},
		{name: "reentrant query refused", src: pgSchema + `
dbh.query("select number from callers", lambda row: dbh.query("select 1"))`, wantErr: `Dbh.query: called from inside a row callback of the same handle`},
		{name: "release", src: `
dbh = freeswitch.Dbh(DSN)
result = (dbh.release(), dbh.connected(), dbh.release())`, want: `(True, False, False)`},
		{name: "query after release", src: `
dbh = freeswitch.Dbh(DSN)
dbh.release()
dbh.query("select 1")`, wantErr: `Dbh.query: the handle was released`},
		{name: "bad args", src: `freeswitch.Dbh(DSN).query("select $1", args=[{}])`, wantErr: `Dbh.query: args[0]: cannot pass a dict to SQL`},
		{name: "test_reactive creates once", src: `
dbh = freeswitch.Dbh(DSN)
a = dbh.test_reactive("select count(*) from counters", "drop table counters", "create temporary table counters (n integer)")
dbh.query("insert into counters values (1)")
b = dbh.test_reactive("select count(*) from counters", "drop table counters", "create temporary table counters (n integer)")
result = (a, b, dbh.query_rows("select n from counters"))`, want: `(True, True, [{"n": "1"}])`},
		{name: "test_reactive failing", src: `
dbh = freeswitch.Dbh(DSN)
result = (dbh.test_reactive("select * from nope", "", "create nonsense"), "syntax error" in dbh.last_error())`, want: `(False, True)`},
		{name: "server not there", src: `
dbh = freeswitch.Dbh("postgres://u:secret-9@127.0.0.1:1/db?sslmode=disable&connect_timeout=10")
err = dbh.last_error()
result = (dbh.connected(), "127.0.0.1" in err, "secret-9" in err, str(dbh))`,
			want: `(False, True, False, "<Dbh postgres://u:xxxxx@127.0.0.1:1/db?sslmode=disable&connect_timeout=10 not connected>")`},
	}
	for i := range cases {
		cases[i].src = strings.ReplaceAll(cases[i].src, "DSN", strconv.Quote(dsn))
	}
	runCasesWith(t, dbOptions, cases)
}

// pgTable makes a table of its own for a test on the shared database (a
// temporary one lives in one connection only) and drops it at the end.
func pgTable(t *testing.T, dsn, columns string) string {
	t.Helper()
	name := "fsstar_dbh_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:12]
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec("drop table if exists " + name); err != nil {
			t.Errorf("dropping %s: %v", name, err)
		}
		db.Close()
	})
	if _, err := db.Exec("create table " + name + " (" + columns + ")"); err != nil {
		t.Fatal(err)
	}
	return name
}

// One pool per DSN: a later call takes the connection an earlier one gave
// back (the same server process), what it wrote is kept, and another DSN
// has a pool of its own.
func TestDbhPostgresPoolPerDSN(t *testing.T) {
	dsn := postgresDSN(t)
	table := pgTable(t, dsn, "v text")
	opts := dbOptions(t)
	backend := func(dsn string) string {
		t.Helper()
		call := &Call{Context: context.Background()}
		v, err := run(t, opts, call, fmt.Sprintf(`
dbh = freeswitch.Dbh(%q)
dbh.query("insert into %s values ('kept')")
result = dbh.query_rows("select pg_backend_pid() as pid")[0]["pid"]`, dsn, table))
		if err != nil {
			t.Fatal(err)
		}
		if err := call.Close(); err != nil { // gives the connection back
			t.Fatal(err)
		}
		return string(v.(starlark.String))
	}
	first, second := backend(dsn), backend(dsn)
	if first != second {
		t.Fatalf("the second call ran on server process %s, the first on %s: the connection was not reused", second, first)
	}
	// The same server and role, another DSN (a query parameter more): another pool.
	other := backend(dsn + "&application_name=fsstar_test")
	if other == first {
		t.Fatalf("another DSN ran on the first DSN's connection (server process %s)", other)
	}
	v, err := run(t, opts, newCall(t), fmt.Sprintf(`result = freeswitch.Dbh(%q).query_rows("select count(*) as n from %s")`, dsn, table))
	if err != nil || v.String() != `[{"n": "3"}]` {
		t.Fatalf("rows written by the calls: %v %v", v, err)
	}
}

// A transaction a call left open is rolled back when the call ends: the
// next call that takes the connection does not run inside it.
func TestDbhPostgresOpenTransactionRolledBack(t *testing.T) {
	dsn := postgresDSN(t)
	table := pgTable(t, dsn, "v text")
	opts := dbOptions(t)
	call := &Call{Context: context.Background()}
	if _, err := run(t, opts, call, fmt.Sprintf(`
dbh = freeswitch.Dbh(%q)
dbh.query("begin") or fail(dbh.last_error())
dbh.query("insert into %s values ('uncommitted')") or fail(dbh.last_error())`, dsn, table)); err != nil {
		t.Fatal(err)
	}
	if err := call.Close(); err != nil {
		t.Fatalf("Call.Close: %v", err)
	}
	v, err := run(t, opts, newCall(t), fmt.Sprintf(`
dbh = freeswitch.Dbh(%q)
result = dbh.query_rows("select count(*) as n, txid_current_if_assigned() as xid from %s")`, dsn, table))
	if err != nil || v.String() != `[{"n": "0", "xid": ""}]` {
		t.Fatalf("the next call: %v %v (n 1 and an xid: it ran inside the first call's transaction)", v, err)
	}
}

// The same on SQLite, where the open transaction would also keep its lock.
func TestDbhSQLiteOpenTransactionRolledBack(t *testing.T) {
	opts := dbOptions(t)
	if _, err := run(t, opts, newCall(t), `freeswitch.Dbh("sqlite://db/tx").query("create table t (v text)")`); err != nil {
		t.Fatal(err)
	}
	call := &Call{Context: context.Background()}
	if _, err := run(t, opts, call, `
dbh = freeswitch.Dbh("sqlite://db/tx")
dbh.query("begin") or fail(dbh.last_error())
dbh.query("insert into t values ('uncommitted')") or fail(dbh.last_error())`); err != nil {
		t.Fatal(err)
	}
	if err := call.Close(); err != nil {
		t.Fatalf("Call.Close: %v", err)
	}
	v, err := run(t, opts, newCall(t), `
dbh = freeswitch.Dbh("sqlite://db/tx")
result = (dbh.query("commit"), dbh.query_rows("select count(*) as n from t"))`)
	if err != nil || v.String() != `(False, [{"n": "0"}])` {
		t.Fatalf("the next call: %v %v (commit True and n 1: it ran inside the first call's transaction)", v, err)
	}
}

// Many calls writing one table at once, each on a connection of the pool.
func TestDbhPostgresConcurrentCalls(t *testing.T) {
	dsn := postgresDSN(t)
	table := pgTable(t, dsn, "n integer")
	opts := dbOptions(t)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Go(func() {
			call := &Call{Context: context.Background()}
			defer call.Close()
			_, err := run(t, opts, call, fmt.Sprintf(`
def insert():
    dbh = freeswitch.Dbh(%q)
    if not dbh.query("insert into %s values ($1)", args=[%d]):
        fail(dbh.last_error())
insert()`, dsn, table, i))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	v, err := run(t, opts, newCall(t), fmt.Sprintf(`result = freeswitch.Dbh(%q).query_rows("select count(*) as n, sum(n) as s from %s")`, dsn, table))
	if err != nil || v.String() != `[{"n": "20", "s": "190"}]` {
		t.Fatalf("count: %v %v", v, err)
	}
}

// A call that ends while its query runs stops the query (the server
// cancels it) with the call's cause, and the pool goes on serving.
func TestDbhPostgresCancelled(t *testing.T) {
	dsn := postgresDSN(t)
	opts := dbOptions(t)
	ctx, cancel := context.WithCancelCause(context.Background())
	call := &Call{Context: ctx}
	defer call.Close()
	pre := Predeclared(opts)
	// The query runs for a minute unless cancelled: the script's
	// started() call cancels the call a little later, from outside.
	pre["started"] = starlark.NewBuiltin("started", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		time.AfterFunc(200*time.Millisecond, func() { cancel(errors.New("the call hung up")) })
		return starlark.None, nil
	})
	thread := &starlark.Thread{}
	SetCall(thread, call)
	_, err := starlark.ExecFileOptions(&syntax.FileOptions{}, thread, "t.star", fmt.Sprintf(`
dbh = freeswitch.Dbh(%q)
started()
dbh.query_rows("select pg_sleep(60)")`, dsn), pre)
	if err == nil || !strings.Contains(err.Error(), "Dbh.query_rows: the call hung up") {
		t.Fatalf("query when the call ended: %v", err)
	}
	if _, err := run(t, opts, newCall(t), fmt.Sprintf(`freeswitch.Dbh(%q).query("select 1") or fail("query")`, dsn)); err != nil {
		t.Fatalf("the next call: %v", err)
	}
}

// With MaxOpenConns, a Dbh waits for a free connection within the call's
// context, and fails when the call ends first.
func TestDbhMaxOpenConns(t *testing.T) {
	opts := dbOptions(t)
	opts.DB.MaxOpenConns = 1
	holder := newCall(t)
	if _, err := run(t, opts, holder, `dbh = freeswitch.Dbh("sqlite://db/limited")`); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	waiter := &Call{Context: ctx}
	defer waiter.Close()
	_, err := run(t, opts, waiter, `freeswitch.Dbh("sqlite://db/limited")`)
	if err == nil || !strings.Contains(err.Error(), "freeswitch.Dbh: sqlite://db/limited: context deadline exceeded") {
		t.Fatalf("second handle: %v", err)
	}
	holder.Close()
	if _, err := run(t, opts, newCall(t), `freeswitch.Dbh("sqlite://db/limited").query("select 1") or fail("query")`); err != nil {
		t.Fatalf("after the first call ended: %v", err)
	}
}

// TestDbhNotAtModuleLevel: a handle made while the module loads (no call
// on the thread) would be shared live by every call through the frozen
// globals; it is refused with the way out.
func TestDbhNotAtModuleLevel(t *testing.T) {
	_, err := run(t, dbOptions(t), nil, `dbh = freeswitch.Dbh("sqlite://:memory:")`)
	if err == nil || !strings.Contains(err.Error(), "freeswitch.Dbh: open database handles inside the function a call runs") {
		t.Fatalf("err = %v, want the module-level refusal", err)
	}
}
