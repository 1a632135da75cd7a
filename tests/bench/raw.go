package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/fsstar/fsstar/esl"
	"github.com/hashicorp/go-hclog"
)

// tone is the 0 ms tone every contender plays.
const tone = "tone_stream://%(0,0,440)"

// The flows, chosen per call by the channel variable fsstar_app (so the
// fsstar contender runs the module of the same name).
const (
	appFlow = "bench.flow" // answer, playback, setvar, getvar, hangup
	appPark = "bench.park" // answer, then wait for the switch's hangup
	appNull = "bench.null" // hangup at once: the simulated switch's floor
)

// rawHandler is the raw Go contender: the call flow written directly on
// the esl package, the floor for any ESL program.
func rawHandler(ctx context.Context, c *esl.Conn) {
	app := c.Variable("fsstar_app")
	if strings.HasPrefix(app, appNull) {
		c.Hangup(ctx, "NORMAL_CLEARING")
		return
	}
	if _, err := c.Execute(ctx, "answer", ""); err != nil {
		return
	}
	if strings.HasPrefix(app, appPark) {
		<-ctx.Done() // until the switch hangs up
		return
	}
	if _, err := c.Execute(ctx, "playback", tone); err != nil {
		return
	}
	if err := c.SetVar(ctx, "bench_var", "fsstar"); err != nil {
		return
	}
	if v, _, err := c.GetVar(ctx, "bench_var"); err != nil || v != "fsstar" {
		c.Logger().Error("getvar", "value", v, "error", err)
	}
	c.Hangup(ctx, "NORMAL_CLEARING")
}

// runRaw serves outbound calls with rawHandler on listen until SIGTERM;
// it prints "ready <addr>" once it accepts calls. It is what the harness
// runs in a child process (-role raw).
func runRaw(listen string) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	srv := &esl.Server{Handler: esl.HandlerFunc(rawHandler), Logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Error, Output: os.Stderr})}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Printf("ready %s\n", ln.Addr())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-sig:
	case err := <-errc:
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	return nil
}
