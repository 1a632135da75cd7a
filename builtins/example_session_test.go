package builtins_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/fsstar/fsstar/builtins"
	"github.com/fsstar/fsstar/esl"
	"github.com/fsstar/fsstar/esl/esltest"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// How a server runs handler(session, args) for a call that reached it
// through the outbound socket, here against the simulated switch: the
// Session for the call's connection, the script, then what the server owes
// the call when the script ends (hang up or resume, the hangup hook once).
func ExampleNewOutboundSession() {
	sw, err := esltest.New()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client, err := esl.Dial(ctx, sw.Addr()) // the server-wide inbound connection
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	predeclared := builtins.Predeclared(builtins.Options{Client: client})

	const src = `
def on_hangup(session, what):
    print("hook:", what, session.hangupCause())

def handler(session, args):
    session.setHangupHook(on_hangup)
    session.answer()
    session.streamFile("tone_stream://%(500,0,440)")
    print("answered:", session.answered(), "args:", args)
`
	done := make(chan struct{})
	srv := &esl.Server{Events: builtins.OutboundEvents(), Handler: esl.HandlerFunc(func(_ context.Context, conn *esl.Conn) {
		defer close(done)
		// The call's context outlives the hangup (the server cancels it
		// after a grace period); the Session sees the hangup on conn.
		call := &builtins.Call{Context: ctx, UUID: conn.UUID(), Client: client}
		defer call.Close()
		session := builtins.NewOutboundSession(call, conn)
		thread := &starlark.Thread{Name: conn.UUID(), Print: func(_ *starlark.Thread, msg string) { fmt.Println(msg) }}
		builtins.SetCall(thread, call)
		globals, err := starlark.ExecFileOptions(&syntax.FileOptions{}, thread, "ivr/main.star", src, predeclared)
		if err == nil {
			_, err = starlark.Call(thread, globals["handler"], starlark.Tuple{session, starlark.String(conn.Variable("fsstar_args"))}, nil)
		}
		if err != nil {
			fmt.Println(err)
		}
		switch {
		case session.Transferred() || !session.Ready():
		case session.AutoHangup():
			_ = conn.Hangup(ctx, "NORMAL_CLEARING")
			<-conn.Done()
		default:
			_ = conn.Resume(ctx) // the dialplan goes on when the socket closes
		}
		if fn, args, ok := session.TakeHangupHook(); ok {
			argv := starlark.Tuple{session, starlark.String(session.HangupWhat())}
			if args != nil {
				argv = append(argv, args)
			}
			if _, err := starlark.Call(&starlark.Thread{Print: thread.Print}, fn, argv, nil); err != nil {
				fmt.Println(err)
			}
		}
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	go srv.Serve(l)
	defer srv.Close()

	ch, err := sw.PlaceCall(ctx, l.Addr().String(), map[string]string{"fsstar_args": "night"})
	if err != nil {
		fmt.Println(err)
		return
	}
	<-done
	<-ch.Done()
	for _, app := range ch.Apps() {
		if app.Name != "socket" {
			fmt.Println("app:", strings.TrimSpace(app.Name+" "+app.Arg))
		}
	}
	// Output:
	// answered: True args: night
	// hook: hangup NORMAL_CLEARING
	// app: answer
	// app: playback tone_stream://%(500,0,440)
}
