package sqlpool

import (
	"strings"
	"testing"
)

func TestParseDSN(t *testing.T) {
	for _, tc := range []struct {
		dsn, user, pass, root string
		want                  DataSource
		wantErr               string
	}{
		{dsn: "sqlite://calls", root: "/srv/scripts", want: DataSource{Driver: "sqlite", Source: "/srv/scripts/calls.db?_pragma=busy_timeout(5000)", Display: "sqlite://calls"}},
		{dsn: "sqlite://data/calls.sqlite?_txlock=immediate", root: "/srv/scripts", want: DataSource{Driver: "sqlite", Source: "/srv/scripts/data/calls.sqlite?_pragma=busy_timeout(5000)&_txlock=immediate", Display: "sqlite://data/calls.sqlite?_txlock=immediate"}},
		{dsn: "sqlite:///var/lib/fs/x.db", want: DataSource{Driver: "sqlite", Source: "/var/lib/fs/x.db?_pragma=busy_timeout(5000)", Display: "sqlite:///var/lib/fs/x.db"}},
		{dsn: "sqlite://:memory:", want: DataSource{Driver: "sqlite", Source: ":memory:?_pragma=busy_timeout(5000)", Single: true, Display: "sqlite://:memory:"}},
		{dsn: "sqlite://x.db", wantErr: "needs a script directory"},
		{dsn: "sqlite://", wantErr: "names no database file"},
		{dsn: "postgres://fs:secret@db.local:5432/calls?sslmode=disable", want: DataSource{Driver: "pgx", Source: "postgres://fs:secret@db.local:5432/calls?sslmode=disable", Display: "postgres://fs:xxxxx@db.local:5432/calls?sslmode=disable"}},
		{dsn: "postgresql://db.local/calls", user: "fs", pass: "p w", want: DataSource{Driver: "pgx", Source: "postgresql://fs:p%20w@db.local/calls", Display: "postgresql://fs:xxxxx@db.local/calls"}},
		{dsn: "postgres://old:pw@db.local/calls", user: "new", want: DataSource{Driver: "pgx", Source: "postgres://new:pw@db.local/calls", Display: "postgres://new:xxxxx@db.local/calls"}},
		{dsn: "pgsql://host=db.local dbname=calls password=secret", want: DataSource{Driver: "pgx", Source: "host=db.local dbname=calls password=secret", Display: "pgsql://host=db.local dbname=calls password=xxxxx"}},
		{dsn: "pgsql://host=db.local", user: "fs", pass: "it's", want: DataSource{Driver: "pgx", Source: `host=db.local user='fs' password='it\'s'`, Display: "pgsql://host=db.local"}},
		{dsn: "mysql://x", wantErr: `unsupported scheme "mysql"`},
		{dsn: "postgres://u:secret@h/db\x7f", wantErr: "postgres://u:xxxxx@h/db"},
	} {
		got, err := ParseDSN(tc.dsn, tc.user, tc.pass, tc.root)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseDSN(%q): got %v, want error with %q", tc.dsn, err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("ParseDSN(%q): the error shows the password: %v", tc.dsn, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseDSN(%q, %q, %q):\n got %+v, %v\nwant %+v", tc.dsn, tc.user, tc.pass, got, err, tc.want)
		}
	}
}
