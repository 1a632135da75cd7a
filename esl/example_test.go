package esl_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/fsstar/fsstar/esl"
	"github.com/hashicorp/go-hclog"
)

// Connect to a switch, run an api command, and follow hangups.
func ExampleDial() {
	ctx := context.Background()
	c, err := esl.Dial(ctx, "127.0.0.1:8021",
		esl.WithPassword("ClueCon"),
		esl.WithReconnect(esl.ReconnectPolicy{Initial: 100 * time.Millisecond, Max: 10 * time.Second}),
		esl.WithLogger(hclog.Default()))
	if err != nil {
		log.Fatal(err) // *esl.AuthError, esl.ErrRejected, esl.ErrNoBanner...
	}
	defer c.Close()

	status, err := c.API(ctx, "status")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(status)

	if err := c.Subscribe(ctx, "CHANNEL_HANGUP_COMPLETE"); err != nil {
		log.Fatal(err)
	}
	hangups := c.Listen(esl.Match{Names: []string{"CHANNEL_HANGUP_COMPLETE"}})
	defer hangups.Close()
	for {
		ev, err := hangups.Next(ctx)
		if err != nil {
			log.Print(err) // esl.ErrOverflow if this loop fell behind
			return
		}
		fmt.Println(ev.UniqueID(), ev.Get("Hangup-Cause"))
	}
}

// Run a command in the background and wait for its BACKGROUND_JOB.
func ExampleClient_BgAPI() {
	ctx := context.Background()
	c, err := esl.Dial(ctx, "127.0.0.1:8021")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ev, err := c.BgAPI(ctx, "originate loopback/9664 &park")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s", ev.Body)
}

// Serve calls sent by the dialplan's `socket 127.0.0.1:8040 async full`.
func ExampleServer() {
	srv := &esl.Server{
		Addr:   "127.0.0.1:8040",
		Logger: hclog.Default(),
		DTMF:   true,
		Handler: esl.HandlerFunc(func(ctx context.Context, c *esl.Conn) {
			if _, err := c.Execute(ctx, "answer", ""); err != nil {
				return
			}
			done, err := c.Execute(ctx, "play_and_get_digits",
				"1 1 3 5000 # ivr/ivr-enter_ext.wav silence_stream://250 digit \\d")
			if errors.Is(err, esl.ErrHangup) {
				c.Logger().Info("caller hung up", "error", err)
				return
			}
			if err != nil {
				return
			}
			c.Logger().Info("caller pressed", "digit", done.Variable("digit"))
			_ = c.Hangup(ctx, "NORMAL_CLEARING")
		}),
	}
	go func() {
		if err := srv.ListenAndServe(); !errors.Is(err, esl.ErrServerClosed) {
			log.Fatal(err)
		}
	}()
	// ... on SIGTERM:
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
}
