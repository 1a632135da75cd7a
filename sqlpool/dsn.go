package sqlpool

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// DataSource is a parsed DSN: the database/sql driver and its source.
type DataSource struct {
	Driver  string // "sqlite" or "pgx"
	Source  string // what sql.Open gets
	Single  bool   // an in-memory database: one connection only
	Display string // the DSN without its password, for messages
}

// sqliteBusyTimeout lets a writer wait for another call's write instead of
// failing at once with SQLITE_BUSY.
const sqliteBusyTimeout = "_pragma=busy_timeout(5000)"

// ParseDSN reads a DSN as freeswitch.Dbh takes it:
//
//	sqlite://path        a file; a relative path is under root (fsstar gives the
//	                     first script directory); a name without extension gets
//	                     ".db" as in the switch
//	sqlite://:memory:    an in-memory database shared by the pool's users
//	postgres://... postgresql://...   a pgx URL
//	pgsql://host=... dbname=...       keyword/value, as mod_lua's pgsql://
//
// user and pass, when not empty, override those of a postgres DSN. Errors
// never show the DSN's password.
func ParseDSN(dsn, user, pass, root string) (DataSource, error) {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return DataSource{}, fmt.Errorf("DSN %q has no scheme (want sqlite://, postgres:// or pgsql://)", redact(dsn))
	}
	switch strings.ToLower(scheme) {
	case "sqlite":
		if user != "" || pass != "" {
			return DataSource{}, errors.New("sqlite:// takes no user or password")
		}
		path, query, _ := strings.Cut(rest, "?")
		if path == "" {
			return DataSource{}, fmt.Errorf("DSN %q names no database file", dsn)
		}
		if query != "" {
			query = "&" + query
		}
		if path == ":memory:" {
			return DataSource{Driver: "sqlite", Source: ":memory:?" + sqliteBusyTimeout + query, Single: true, Display: dsn}, nil
		}
		if !filepath.IsAbs(path) {
			if root == "" {
				return DataSource{}, fmt.Errorf("DSN %q: a relative sqlite path needs a script directory, and none is configured", dsn)
			}
			if filepath.Ext(path) == "" {
				path += ".db"
			}
			path = filepath.Join(root, path)
		}
		return DataSource{Driver: "sqlite", Source: path + "?" + sqliteBusyTimeout + query, Display: dsn}, nil
	case "postgres", "postgresql":
		u, err := url.Parse(dsn)
		if err != nil {
			return DataSource{}, fmt.Errorf("DSN %q is not a valid URL", redact(dsn)) // url's error repeats the password
		}
		if user != "" || pass != "" {
			name := user
			if name == "" && u.User != nil {
				name = u.User.Username()
			}
			if pass != "" {
				u.User = url.UserPassword(name, pass)
			} else if p, ok := u.User.Password(); ok {
				u.User = url.UserPassword(name, p)
			} else {
				u.User = url.User(name)
			}
		}
		return DataSource{Driver: "pgx", Source: u.String(), Display: u.Redacted()}, nil
	case "pgsql":
		src := rest
		if user != "" {
			src += " user=" + quoteKV(user)
		}
		if pass != "" {
			src += " password=" + quoteKV(pass)
		}
		return DataSource{Driver: "pgx", Source: src, Display: "pgsql://" + redact(rest)}, nil
	}
	return DataSource{}, fmt.Errorf("DSN %q: unsupported scheme %q (want sqlite://, postgres:// or pgsql://)", redact(dsn), scheme)
}

// quoteKV quotes a value of a keyword/value connection string.
func quoteKV(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// redact hides passwords in a DSN for messages.
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		return u.Redacted()
	}
	if scheme, rest, ok := strings.Cut(dsn, "://"); ok {
		if userinfo, host, ok := strings.Cut(rest, "@"); ok {
			if name, _, ok := strings.Cut(userinfo, ":"); ok {
				return scheme + "://" + name + ":xxxxx@" + host
			}
		}
	}
	fields := strings.Fields(dsn)
	for i, f := range fields {
		if k, _, ok := strings.Cut(f, "="); ok && strings.EqualFold(k, "password") {
			fields[i] = k + "=xxxxx"
		}
	}
	if len(fields) == 0 {
		return dsn
	}
	return strings.Join(fields, " ")
}
