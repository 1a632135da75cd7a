package esltest_test

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

// A simulated switch places a call into an outbound-socket server, as the
// dialplan's `socket <addr> async full` would, and tells what the call
// went through: the applications it ran with their data, its variables,
// its hangup cause. Tests use NewSwitch(t), which closes the switch with the
// test; New is the same without a testing.TB.
func Example() {
	sw, err := esltest.New()
	if err != nil {
		log.Fatal(err)
	}
	defer sw.Close()

	// The code under test: an outbound handler.
	srv := &esl.Server{Handler: esl.HandlerFunc(func(ctx context.Context, c *esl.Conn) {
		who := c.Channel().Get("Caller-Caller-ID-Number")
		c.Execute(ctx, "set", "greeted="+who)
		c.Execute(ctx, "playback", "ivr/ivr-welcome.wav")
		c.Execute(ctx, "hangup", "NORMAL_CLEARING")
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, esl.ErrServerClosed) {
			log.Fatal(err)
		}
	}()
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ch, err := sw.PlaceCall(ctx, ln.Addr().String(), nil, esltest.CallerID("Alice", "1000"), esltest.AsyncFull())
	if err != nil {
		log.Fatal(err)
	}
	cause, err := ch.WaitHangup(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, a := range ch.Apps() { // as they completed: the socket app comes last
		fmt.Printf("%s(%s)\n", a.Name, strings.Replace(a.Arg, ln.Addr().String(), "<server>", 1))
	}
	fmt.Println("greeted:", ch.Var("greeted"))
	fmt.Println("cause:", cause)
	// Output:
	// set(greeted=1000)
	// playback(ivr/ivr-welcome.wav)
	// hangup(NORMAL_CLEARING)
	// socket(<server> async full)
	// greeted: 1000
	// cause: NORMAL_CLEARING
}
