package state

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PostgresTable is the table the Postgres backend keeps its keys in.
const PostgresTable = "fsstar_state"

// Postgres is the Store kept in a PostgreSQL table (created by the first
// operation when missing), shared by every fsstar instance that uses the same database.
// Each operation is one statement, atomic in the database: incr is an
// `INSERT ... ON CONFLICT DO UPDATE ... RETURNING`. Expiry compares the
// database's clock (now()); expired rows read as absent, are replaced by
// the next write, and are deleted in batches by the writes themselves
// (at most once a minute per instance).
type Postgres struct {
	pool      *pgxpool.Pool
	lastSweep time.Time
	sweepMu   chan struct{}
	initMu    sync.Mutex
	ready     bool
}

// OpenPostgres makes the pool for dsn (a postgres:// URL or key=value
// string) without connecting: the first operation connects and creates the
// table when missing (and tries again at the next one if that failed).
func OpenPostgres(dsn string) (*Postgres, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("state-dsn: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("state-dsn: %w", err)
	}
	return &Postgres{pool: pool, sweepMu: make(chan struct{}, 1)}, nil
}

// Init creates the table when missing. The operations call it until it has
// succeeded once.
func (p *Postgres) Init(ctx context.Context) error {
	p.initMu.Lock()
	defer p.initMu.Unlock()
	if p.ready {
		return nil
	}
	_, err := p.pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+PostgresTable+` (
	key text PRIMARY KEY,
	value text NOT NULL,
	expires_at timestamptz
)`)
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok && pe.Code == "23505" {
		err = nil // another instance created it at the same moment
	}
	if err != nil {
		return fmt.Errorf("creating table %s: %w", PostgresTable, err)
	}
	p.ready = true
	return nil
}

// Close implements Store: it closes the pool.
func (p *Postgres) Close() error {
	p.pool.Close()
	return nil
}

// ttlArg is the expiry interval of a ttl, nil for none.
func ttlArg(ttl time.Duration) any {
	if ttl <= 0 {
		return nil
	}
	return ttl.Seconds()
}

const live = `(expires_at IS NULL OR expires_at > now())`

// Get implements Store.
func (p *Postgres) Get(ctx context.Context, key string) (string, bool, error) {
	if err := p.Init(ctx); err != nil {
		return "", false, err
	}
	var v string
	err := p.pool.QueryRow(ctx, `SELECT value FROM `+PostgresTable+` WHERE key = $1 AND `+live, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("postgres get: %w", err)
	}
	return v, true, nil
}

const expiresExpr = `CASE WHEN $3::float8 IS NULL THEN NULL ELSE now() + make_interval(secs => $3::float8) END`

// Set implements Store.
func (p *Postgres) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	if err := p.Init(ctx); err != nil {
		return err
	}
	p.sweep(ctx)
	_, err := p.pool.Exec(ctx, `INSERT INTO `+PostgresTable+` (key, value, expires_at) VALUES ($1, $2, `+expiresExpr+`)
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at`, key, value, ttlArg(ttl))
	if err != nil {
		return fmt.Errorf("postgres set: %w", err)
	}
	return nil
}

// SetIfAbsent implements Store.
func (p *Postgres) SetIfAbsent(ctx context.Context, key, value string, ttl time.Duration) (bool, error) {
	if err := p.Init(ctx); err != nil {
		return false, err
	}
	p.sweep(ctx)
	var k string
	err := p.pool.QueryRow(ctx, `INSERT INTO `+PostgresTable+` AS t (key, value, expires_at) VALUES ($1, $2, `+expiresExpr+`)
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at
WHERE t.expires_at IS NOT NULL AND t.expires_at <= now()
RETURNING key`, key, value, ttlArg(ttl)).Scan(&k)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("postgres set_if_absent: %w", err)
	}
	return true, nil
}

// Incr implements Store.
func (p *Postgres) Incr(ctx context.Context, key string, by int64, ttl time.Duration) (int64, error) {
	if err := p.Init(ctx); err != nil {
		return 0, err
	}
	p.sweep(ctx)
	var v string
	err := p.pool.QueryRow(ctx, `INSERT INTO `+PostgresTable+` AS t (key, value, expires_at) VALUES ($1, $2::bigint::text, `+expiresExpr+`)
ON CONFLICT (key) DO UPDATE SET
	value = CASE WHEN t.expires_at IS NOT NULL AND t.expires_at <= now() THEN EXCLUDED.value
		ELSE (t.value::bigint + $2::bigint)::text END,
	expires_at = CASE WHEN t.expires_at IS NOT NULL AND t.expires_at <= now() THEN EXCLUDED.expires_at
		ELSE t.expires_at END
RETURNING value`, key, by, ttlArg(ttl)).Scan(&v)
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok && (pe.Code == "22P02" || pe.Code == "22003") {
		// invalid_text_representation, numeric_value_out_of_range
		if pe.Code == "22003" {
			return 0, fmt.Errorf("postgres incr: %w", pe)
		}
		return 0, ErrNotInteger
	}
	if err != nil {
		return 0, fmt.Errorf("postgres incr: %w", err)
	}
	return strconv.ParseInt(v, 10, 64)
}

// Delete implements Store.
func (p *Postgres) Delete(ctx context.Context, key string) (bool, error) {
	if err := p.Init(ctx); err != nil {
		return false, err
	}
	var exp *time.Time
	var wasLive bool
	err := p.pool.QueryRow(ctx, `DELETE FROM `+PostgresTable+` WHERE key = $1 RETURNING expires_at, `+live, key).Scan(&exp, &wasLive)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("postgres delete: %w", err)
	}
	return wasLive, nil
}

// sweep deletes expired rows, at most once a minute and never two at once.
func (p *Postgres) sweep(ctx context.Context) {
	select {
	case p.sweepMu <- struct{}{}:
	default:
		return
	}
	defer func() { <-p.sweepMu }()
	if time.Since(p.lastSweep) < time.Minute {
		return
	}
	p.lastSweep = time.Now()
	_, _ = p.pool.Exec(ctx, `DELETE FROM `+PostgresTable+` WHERE ctid IN (SELECT ctid FROM `+PostgresTable+` WHERE expires_at <= now() LIMIT 1000)`)
}
