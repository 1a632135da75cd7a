package builtins_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/fsstar/fsstar/builtins"
	"github.com/fsstar/fsstar/esl"
	"github.com/fsstar/fsstar/sqlpool"
	"github.com/hashicorp/go-hclog"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// A script sees freeswitch, files, json, time and math without load().
// The engine builds them once per server and attaches a Call to every thread.
func ExampleModule() {
	predeclared := builtins.Predeclared(builtins.Options{})

	thread := &starlark.Thread{Name: "u-1 ivr.main", Print: func(_ *starlark.Thread, msg string) { fmt.Println(msg) }}
	builtins.SetCall(thread, &builtins.Call{Context: context.Background(), UUID: "u-1"})

	_, err := starlark.ExecFileOptions(&syntax.FileOptions{}, thread, "ivr/main.star", `
e = freeswitch.Event("CUSTOM", "fsstar::demo")
e.addHeader("Caller", "+1 555 0100")
print(e.getType(), e.getHeader("Event-Subclass"), e.getHeader("caller"))
print(e.serialize().rstrip("\n"))  # a plain event ends with a blank line

d = freeswitch.DTMF("5", 800)
print(d.digit, d.duration)

s = freeswitch.Stream()
s.write("+OK ")
s.write(json.encode({"digits": d.digit}))
print(s.get_data())
`, predeclared)
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// CUSTOM fsstar::demo +1 555 0100
	// Event-Name: CUSTOM
	// Event-Subclass: fsstar%3A%3Ademo
	// Caller: %2B1%20555%200100
	// 5 800
	// +OK {"digits":"5"}
}

// An fsapi entry point writes to a Stream made by the engine; what it wrote
// is the response.
func ExampleNewStream() {
	stream := builtins.NewStream(64 << 10) // mod_curl's default limit is 64,000 bytes
	predeclared := builtins.Predeclared(builtins.Options{})
	src := `
def fsapi(session, stream, env, args):
    stream.write("you said: " + args)
`
	globals, _ := starlark.ExecFileOptions(&syntax.FileOptions{}, &starlark.Thread{}, "tools.star", src, predeclared)
	_, err := starlark.Call(&starlark.Thread{}, globals["fsapi"], starlark.Tuple{starlark.None, stream, starlark.None, starlark.String("hello")}, nil)
	fmt.Println(stream.Data(), err)
	// Output: you said: hello <nil>
}

// The per-call hooks are how the ESL half plugs in: a Call with FireEvent
// sends what Event.fire() fires, SwitchLog forwards consoleLog.
func ExampleCall() {
	call := &builtins.Call{
		Context: context.Background(),
		Logger:  hclog.NewNullLogger(),
		UUID:    "u-1",
		FireEvent: func(ctx context.Context, ev *esl.Event) error {
			fmt.Printf("sendevent %s\n%s", ev.Name(), ev.MarshalPlain())
			return nil
		},
		SwitchLog: func(ctx context.Context, level, msg string, clean bool) error {
			fmt.Printf("api log %s %s\n", level, msg)
			return nil
		},
	}
	defer call.Close() // gives back what the script did not release

	thread := &starlark.Thread{}
	stop := builtins.Attach(thread, call) // cancelling call.Context now cancels the thread too
	defer stop()
	_, err := starlark.ExecFileOptions(&syntax.FileOptions{}, thread, "fire.star", `
freeswitch.consoleLog("notice", "firing")
e = freeswitch.Event("CUSTOM", "my::event")
e.addBody("hi")
e.fire()
`, builtins.Predeclared(builtins.Options{}))
	fmt.Println(err)
	// Output:
	// api log notice firing
	// sendevent CUSTOM
	// Event-Name: CUSTOM
	// Event-Subclass: my%3A%3Aevent
	// Content-Length: 2
	//
	// hi<nil>
}

// Dbh on SQLite: a file under the first script directory, handles pooled by
// a sqlpool.Pool the server owns.
func ExampleDbh() {
	dir, _ := os.MkdirTemp("", "fsstar-example")
	defer os.RemoveAll(dir)
	pool := sqlpool.New()
	defer pool.Close()
	opts := builtins.Options{Roots: []string{dir}, DB: pool}

	call := &builtins.Call{Context: context.Background()}
	defer call.Close()
	thread := &starlark.Thread{Print: func(_ *starlark.Thread, msg string) { fmt.Println(msg) }}
	builtins.SetCall(thread, call)
	_, err := starlark.ExecFileOptions(&syntax.FileOptions{}, thread, "db.star", `
dbh = freeswitch.Dbh("sqlite://callers")
dbh.query("create table callers (number text, name text)")
dbh.query("insert into callers values (?, ?), (?, ?)", args=["1001", "Alice", "1002", "Bob"])
print("inserted", dbh.affected_rows())

def show(row):
    print(row["number"], row["name"])
    return True  # stop after the first row, as a non-zero return in mod_lua

dbh.query("select number, name from callers order by number", show)
print(dbh.query_rows("select count(*) as n from callers"))
print(dbh.query("select * from nowhere"), dbh.last_error())
dbh.release()
`, builtins.Predeclared(opts))
	fmt.Println(err)
	_, statErr := os.Stat(filepath.Join(dir, "callers.db"))
	fmt.Println(statErr)
	// Output:
	// inserted 2
	// 1001 Alice
	// [{"n": "2"}]
	// False SQL logic error: no such table: nowhere (1)
	// <nil>
	// <nil>
}
