// Package sqlpool is the SQL side of freeswitch.Dbh, with no Starlark in it:
// it reads the DSNs scripts give (ParseDSN), keeps one database/sql pool per
// data source for the whole server (Pool), and hands out connections (Conn)
// that run statements, give rows as mod_lua gives them, and roll back what a
// script left open when they go back to the pool.
//
// Two databases are built in, each by its driver's import here:
//
//	sqlite://path         SQLite (modernc.org/sqlite, driver "sqlite")
//	sqlite://:memory:     one in-memory SQLite database for the whole pool
//	postgres://... postgresql://...   PostgreSQL (jackc/pgx/v5, driver "pgx"), a URL
//	pgsql://host=... dbname=...       PostgreSQL, keyword/value as mod_lua's pgsql://
//
// Errors from the databases are passed on as the drivers word them: scripts
// read them with Dbh.last_error(), as they would in mod_lua.
package sqlpool

import (
	"context"
	"database/sql"
	"errors"
	"sync"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver for postgres:// and pgsql://
	_ "modernc.org/sqlite"             // the "sqlite" driver for sqlite://
)

// Pool keeps one database/sql pool per data source, so that a script that
// opens a handle on every call reuses connections. The server makes one,
// shares it with every call, and closes it at shutdown; it is safe for
// concurrent use.
type Pool struct {
	// MaxOpenConns bounds the connections open at once to one data source
	// (0: no bound); Conn then waits for a free one, within its context.
	// Set it before the pool is used.
	MaxOpenConns int

	mu     sync.Mutex
	dbs    map[string]*sql.DB // by key(DataSource)
	closed bool
}

// New returns an empty pool. (The zero Pool is ready to use too.)
func New() *Pool { return &Pool{} }

// ErrClosed is returned by Conn after Close.
var ErrClosed = errors.New("the database pool is closed (the server is shutting down)")

// Conn takes a connection to ds from the pool, opening the pool for ds first
// if needed, and checks that the database answers. On error no connection is
// held. The caller gives the connection back with Release.
func (p *Pool) Conn(ctx context.Context, ds DataSource) (*Conn, error) {
	db, err := p.db(ds)
	if err != nil {
		return nil, err
	}
	c, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.PingContext(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return &Conn{conn: c, ds: ds}, nil
}

// Stats returns the statistics of ds's pool (how many connections are open,
// in use, idle...): zero when ds has no pool yet.
func (p *Pool) Stats(ds DataSource) sql.DBStats {
	p.mu.Lock()
	db := p.dbs[key(ds)]
	p.mu.Unlock()
	if db == nil {
		return sql.DBStats{}
	}
	return db.Stats()
}

// key names ds's pool: one per driver and source.
func key(ds DataSource) string { return ds.Driver + "\x00" + ds.Source }

// db returns ds's pool, opening it when it is the first use of ds.
func (p *Pool) db(ds DataSource) (*sql.DB, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	if db, ok := p.dbs[key(ds)]; ok {
		return db, nil
	}
	db, err := sql.Open(ds.Driver, ds.Source)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(p.MaxOpenConns)
	if ds.Single {
		// One in-memory database is one connection: keep exactly that one.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
	}
	if p.dbs == nil {
		p.dbs = make(map[string]*sql.DB)
	}
	p.dbs[key(ds)] = db
	return db, nil
}

// Close closes every pool; connections still taken are closed when given back.
func (p *Pool) Close() error {
	p.mu.Lock()
	dbs := p.dbs
	p.dbs, p.closed = nil, true
	p.mu.Unlock()
	var errs []error
	for _, db := range dbs {
		errs = append(errs, db.Close())
	}
	return errors.Join(errs...)
}
