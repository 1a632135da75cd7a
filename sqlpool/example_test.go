package sqlpool_test

import (
	"context"
	"fmt"

	"github.com/fsstar/fsstar/sqlpool"
)

// ExamplePool opens one SQLite database in memory, shared by the pool's users.
func ExamplePool() {
	pool := sqlpool.New()
	defer pool.Close()
	ds, err := sqlpool.ParseDSN("sqlite://:memory:", "", "", "")
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	conn, err := pool.Conn(ctx, ds)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Release()
	conn.Exec(ctx, "create table callers (number text, score real)")
	n, err := conn.Exec(ctx, "insert into callers values (?, ?), (?, null)", "1001", 2, "1002")
	fmt.Println("inserted", n, err)
	err = conn.TextRows(ctx, "select number, score from callers", nil, func(cols, vals []string) (bool, error) {
		fmt.Printf("%s=%q %s=%q\n", cols[0], vals[0], cols[1], vals[1])
		return false, nil
	})
	fmt.Println(err)
	// Output:
	// inserted 2 <nil>
	// number="1001" score="2.0"
	// number="1002" score=""
	// <nil>
}
