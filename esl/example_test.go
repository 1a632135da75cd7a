package esl_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"strings"
	"time"

	"github.com/fsstar/fsstar/esl"
	"github.com/fsstar/fsstar/esl/esltest"
)

// Connect to a switch, run an api command, and follow hangups. The switch
// here is esltest's simulated one on 127.0.0.1; a real FreeSWITCH listens
// on 127.0.0.1:8021 with the password ClueCon.
func ExampleDial() {
	sw, err := esltest.New()
	if err != nil {
		log.Fatal(err)
	}
	defer sw.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := esl.Dial(ctx, sw.Addr(),
		esl.WithPassword("ClueCon"),
		esl.WithReconnect(esl.ReconnectPolicy{Initial: 100 * time.Millisecond, Max: 10 * time.Second}))
	if err != nil {
		log.Fatal(err) // *esl.AuthError, esl.ErrRejected, esl.ErrNoBanner...
	}
	defer c.Close()

	version, err := c.API(ctx, "version")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(version)

	if err := c.Subscribe(ctx, "CHANNEL_HANGUP_COMPLETE"); err != nil {
		log.Fatal(err)
	}
	hangups := c.Listen(esl.Match{Names: []string{"CHANNEL_HANGUP_COMPLETE"}})
	defer hangups.Close()

	// A call to follow: parked, then killed.
	const id = "0a1b2c3d-0000-4000-8000-000000000001"
	if _, err := c.API(ctx, "originate {origination_uuid="+id+"}user/1000 &park()"); err != nil {
		log.Fatal(err)
	}
	if _, err := c.API(ctx, "uuid_kill "+id+" USER_BUSY"); err != nil {
		log.Fatal(err)
	}
	ev, err := hangups.Next(ctx)
	if err != nil {
		log.Print(err) // esl.ErrOverflow if this loop fell behind
		return
	}
	fmt.Println(ev.UniqueID(), ev.Get("Hangup-Cause"))

	// The switch's own errors are values: ask, never read the text.
	_, err = c.API(ctx, "uuid_kill 0a1b2c3d-0000-4000-8000-0000000000ff")
	fmt.Println("no such channel:", esl.IsNoSuchChannel(err))
	// Output:
	// FreeSWITCH Version 1.11.3-dev~64bit ( 64bit)
	// 0a1b2c3d-0000-4000-8000-000000000001 USER_BUSY
	// no such channel: true
}

// Run a command in the background and wait for its BACKGROUND_JOB.
func ExampleClient_BgAPI() {
	sw, err := esltest.New()
	if err != nil {
		log.Fatal(err)
	}
	defer sw.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := esl.Dial(ctx, sw.Addr(), esl.WithPassword("ClueCon"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ev, err := c.BgAPI(ctx, "originate {origination_uuid=0a1b2c3d-0000-4000-8000-000000000002}user/1000 &park()")
	if err != nil {
		log.Fatal(err) // a *esl.CommandError when the job's result is -ERR
	}
	fmt.Printf("%s", ev.Body)
	// Output:
	// +OK 0a1b2c3d-0000-4000-8000-000000000002
}

// Serve calls sent by the dialplan's `socket 127.0.0.1:8040 async full`.
// The simulated switch places one call and the caller presses 5 during the
// prompt.
func ExampleServer() {
	sw, err := esltest.New()
	if err != nil {
		log.Fatal(err)
	}
	defer sw.Close()

	srv := &esl.Server{
		DTMF: true,
		Handler: esl.HandlerFunc(func(ctx context.Context, c *esl.Conn) {
			if _, err := c.Execute(ctx, "answer", ""); err != nil {
				return
			}
			done, err := c.Execute(ctx, "play_and_get_digits",
				"1 1 3 5000 # ivr/ivr-enter_ext.wav silence_stream://250 digit \\d")
			if errors.Is(err, esl.ErrHangup) {
				fmt.Println("caller hung up")
				return
			}
			if err != nil {
				return
			}
			fmt.Println("caller pressed", done.Variable("digit"))
			_ = c.Hangup(ctx, "NORMAL_CLEARING")
		}),
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0") // ListenAndServe with Addr "127.0.0.1:8040" in production
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, esl.ErrServerClosed) {
			log.Fatal(err)
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ch, err := sw.PlaceCall(ctx, ln.Addr().String(), nil, esltest.AsyncFull())
	if err != nil {
		log.Fatal(err)
	}
	ch.WhenApp("play_and_get_digits", func() { ch.SendDTMF("5") })
	cause, err := ch.WaitHangup(ctx)
	if err != nil {
		log.Fatal(err)
	}
	var apps []string
	for _, a := range ch.Apps() {
		apps = append(apps, a.Name)
	}
	fmt.Println(cause, strings.Join(apps, " "))

	// ... on SIGTERM:
	sctx, scancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer scancel()
	_ = srv.Shutdown(sctx)
	// Output:
	// caller pressed 5
	// NORMAL_CLEARING answer play_and_get_digits socket
}
