package sqlpool

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// newPool returns a pool closed with the test.
func newPool(t *testing.T) *Pool {
	t.Helper()
	p := New()
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Pool.Close: %v", err)
		}
	})
	return p
}

// parse is ParseDSN with root, failing the test on error.
func parse(t *testing.T, dsn, root string) DataSource {
	t.Helper()
	ds, err := ParseDSN(dsn, "", "", root)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// take is Pool.Conn, failing the test on error.
func take(t *testing.T, p *Pool, ds DataSource) *Conn {
	t.Helper()
	c, err := p.Conn(context.Background(), ds)
	if err != nil {
		t.Fatalf("Conn(%s): %v", ds.Display, err)
	}
	return c
}

// exec is Conn.Exec, failing the test on error.
func exec(t *testing.T, c *Conn, stmt string, args ...any) int64 {
	t.Helper()
	n, err := c.Exec(context.Background(), stmt, args...)
	if err != nil {
		t.Fatalf("Exec(%q): %v", stmt, err)
	}
	return n
}

// textRows returns every row of stmt as TextRows gives them.
func textRows(t *testing.T, c *Conn, stmt string, args ...any) [][]string {
	t.Helper()
	var rows [][]string
	err := c.TextRows(context.Background(), stmt, args, func(_, vals []string) (bool, error) {
		rows = append(rows, append([]string(nil), vals...))
		return false, nil
	})
	if err != nil {
		t.Fatalf("TextRows(%q): %v", stmt, err)
	}
	return rows
}

// A file database and :memory: keep what one connection wrote for the next
// one; each data source has a pool of its own.
func TestPoolOnePoolPerDataSource(t *testing.T) {
	root := t.TempDir()
	p := newPool(t)
	for _, dsn := range []string{"sqlite://calls", "sqlite://:memory:"} {
		ds := parse(t, dsn, root)
		c := take(t, p, ds)
		exec(t, c, "create table t (v text)")
		if n := exec(t, c, "insert into t values (?), (?)", "a", "b"); n != 2 {
			t.Errorf("%s: insert changed %d rows, want 2", dsn, n)
		}
		if err := c.Release(); err != nil {
			t.Fatal(err)
		}
		c = take(t, p, ds)
		if got := textRows(t, c, "select count(*) from t"); len(got) != 1 || got[0][0] != "2" {
			t.Errorf("%s: the next connection counts %v, want [[2]]", dsn, got)
		}
		if s := p.Stats(ds); s.InUse != 1 || s.OpenConnections != 1 {
			t.Errorf("%s: stats %+v, want one connection, in use", dsn, s)
		}
		if err := c.Release(); err != nil {
			t.Fatal(err)
		}
		if s := p.Stats(ds); s.InUse != 0 {
			t.Errorf("%s: %d connections in use after Release", dsn, s.InUse)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "calls.db")); err != nil {
		t.Errorf("sqlite://calls is not root/calls.db: %v", err)
	}
	if s := p.Stats(parse(t, "sqlite://other", root)); s.OpenConnections != 0 {
		t.Errorf("a data source never used has stats %+v", s)
	}
}

// With MaxOpenConns, Conn waits for a free connection within its context.
func TestPoolMaxOpenConns(t *testing.T) {
	p := newPool(t)
	p.MaxOpenConns = 1
	ds := parse(t, "sqlite://limited", t.TempDir())
	held := take(t, p, ds)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if c, err := p.Conn(ctx, ds); !errors.Is(err, context.DeadlineExceeded) {
		if c != nil {
			c.Release()
		}
		t.Fatalf("second Conn while the only one is held: %v, want the context's deadline", err)
	}
	if err := held.Release(); err != nil {
		t.Fatal(err)
	}
	take(t, p, ds).Release()
}

// A connection that cannot be made is an error, and none is held.
func TestPoolConnFails(t *testing.T) {
	p := newPool(t)
	ds := parse(t, "sqlite://no/such/dir/x.db", t.TempDir())
	if _, err := p.Conn(context.Background(), ds); err == nil {
		t.Fatal("Conn to a file in a missing directory: no error")
	}
	if s := p.Stats(ds); s.InUse != 0 {
		t.Errorf("%d connections in use after a failed Conn", s.InUse)
	}
}

// After Close, Conn fails with ErrClosed; a connection taken before is
// closed when given back.
func TestPoolClosed(t *testing.T) {
	p := New()
	ds := parse(t, "sqlite://:memory:", "")
	c := take(t, p, ds)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Conn(context.Background(), ds); !errors.Is(err, ErrClosed) {
		t.Fatalf("Conn after Close: %v, want ErrClosed", err)
	}
	if got := textRows(t, c, "select 1"); len(got) != 1 || got[0][0] != "1" {
		t.Errorf("a connection taken before Close: %v", got)
	}
	if err := c.Release(); err != nil {
		t.Fatalf("Release after Close: %v", err)
	}
}
