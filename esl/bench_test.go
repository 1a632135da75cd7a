package esl

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"testing"
)

// BenchmarkParseEvent decodes a recorded CHANNEL_EXECUTE_COMPLETE (05a,
// play_and_get_digits, ~3 KB of URL-encoded headers).
func BenchmarkParseEvent(b *testing.B) {
	var frame *Frame
	for _, r := range loadConn(b, "05a-outbound-async-full.jsonl", "outbound") {
		if r.Seq == 40 {
			f, err := NewReader(bytes.NewReader(r.bytes(b)), Limits{}).ReadFrame()
			if err != nil {
				b.Fatal(err)
			}
			frame = f
		}
	}
	b.SetBytes(int64(len(frame.Body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseEvent(frame); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExecuteRoundTrip measures Conn.Execute over loopback TCP
// against a minimal switch that answers +OK and a CHANNEL_EXECUTE_COMPLETE
// carrying the Event-UUID as Application-UUID.
func BenchmarkExecuteRoundTrip(b *testing.B) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	srv := &Server{NoLinger: true, Handler: HandlerFunc(func(ctx context.Context, c *Conn) {
		defer close(done)
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if _, err := c.Execute(ctx, "answer", ""); err != nil {
				b.Error(err)
				return
			}
		}
		b.StopTimer()
	})}
	go srv.Serve(l)
	defer srv.Close()

	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	rd := NewReader(nc, Limits{})
	uuid := "5d92818d-3386-4066-b54b-8f95316fdab8"
	go func() {
		for {
			c, err := rd.ReadCommand()
			if err != nil {
				return
			}
			switch c.Line {
			case "connect":
				nc.Write([]byte("Unique-ID: " + uuid + "\nSocket-Mode: async\nControl: full\nContent-Type: command/reply\nReply-Text: %2BOK%0A\n\n"))
			case "sendmsg":
				e := NewEvent("CHANNEL_EXECUTE_COMPLETE", "")
				e.Headers.Add("Unique-ID", uuid)
				e.Headers.Add("Application", c.Headers.Get("execute-app-name"))
				e.Headers.Add("Application-UUID", c.Headers.Get("Event-UUID"))
				out := append(replyFrame("+OK"), eventFrame(e)...)
				nc.Write(out)
			default:
				nc.Write(replyFrame("+OK"))
			}
		}
	}()
	<-done
}

// BenchmarkRouteManyCalls routes one channel's event on a connection with
// a subscription per call (park mode drives many calls over one): the
// router finds the channel's subscriptions by uuid, so the cost does not
// grow with the calls.
func BenchmarkRouteManyCalls(b *testing.B) {
	for _, calls := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("calls=%d", calls), func(b *testing.B) {
			r := &router{def: 16}
			var ids []string
			for i := range calls {
				id := fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
				ids = append(ids, id)
				r.add(Match{UUID: id, Names: []string{"CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP"}, Buffer: 1 << 20})
			}
			r.add(Match{Names: []string{"CHANNEL_HANGUP"}, Buffer: 1 << 20})
			ev := &Event{}
			ev.Headers.Add("Event-Name", "CHANNEL_EXECUTE_COMPLETE")
			ev.Headers.Add("Unique-ID", ids[calls/2])
			b.ResetTimer()
			for range b.N {
				r.route(ev, false)
			}
		})
	}
}
