package esltest

import (
	"context"
	"testing"
	"time"

	"github.com/fsstar/fsstar/esl"
)

func TestSocketTiming(t *testing.T) {
	sw := NewSwitch(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The server takes its time before each step. The switch stamps
	// Connected from its own goroutine once its dial returned, which under
	// load can come a little after the server's accept: the pauses are long
	// and the bounds half of them, so the test tells the phases apart
	// without racing the stamping.
	const pause = 30 * time.Millisecond
	addr := outboundServer(t, func(c *client) {
		time.Sleep(pause)
		c.cmd("connect")
		time.Sleep(pause)
		execute(c, "hangup", "", "b2c1b9b0-1111-4c3a-9a3c-6a3f6f0e2a11")
	})
	ch, err := sw.PlaceCall(ctx, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ch.WaitHangup(ctx); err != nil {
		t.Fatal(err)
	}
	st := ch.SocketTiming()
	if st.Connected.IsZero() || st.FirstCommand.IsZero() || st.FirstSendMsg.IsZero() {
		t.Fatalf("missing timestamps: %+v", st)
	}
	if d := st.FirstCommand.Sub(st.Connected); d < pause/2 {
		t.Errorf("connected → connect = %v, want ≥ %v", d, pause/2)
	}
	if d := st.FirstSendMsg.Sub(st.FirstCommand); d < pause/2 {
		t.Errorf("connect → sendmsg = %v, want ≥ %v", d, pause/2)
	}
}

func TestSocketTimingZeroWithoutSocket(t *testing.T) {
	sw := NewSwitch(t)
	c, err := esl.Dial(context.Background(), sw.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.API(context.Background(), "originate loopback/park &park()"); err != nil {
		t.Fatal(err)
	}
	chans := sw.Channels()
	if len(chans) == 0 {
		t.Fatal("originate made no channel")
	}
	for _, ch := range chans {
		if st := ch.SocketTiming(); st != (SocketTiming{}) {
			t.Errorf("%s: timing %+v without a socket", ch.Name(), st)
		}
	}
}
