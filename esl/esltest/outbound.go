package esltest

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fsstar/fsstar/esl"
)

// CallOption configures PlaceCall and Route.
type CallOption func(*callOptions)

type callOptions struct {
	async    bool
	cidName  string
	cidNum   string
	dest     string
	uuid     string
	noAnswer bool
}

func (co callOptions) socketArg(addr string) string {
	if co.async {
		return addr + " async full"
	}
	return addr
}

// Static connects in static mode (the socket app without "async full"):
// a sendmsg execute is answered only when the app has ended; api, bgapi
// and linger are refused.
func Static() CallOption { return func(o *callOptions) { o.async = false } }

// AsyncFull connects in "async full" mode, the default.
func AsyncFull() CallOption { return func(o *callOptions) { o.async = true } }

// CallerID sets the caller's name and number (default "" and "1000").
func CallerID(name, number string) CallOption {
	return func(o *callOptions) { o.cidName, o.cidNum = name, number }
}

// Destination sets the dialled number (default "fsstar").
func Destination(dest string) CallOption { return func(o *callOptions) { o.dest = dest } }

// CallUUID sets the channel's uuid (default: a random one).
func CallUUID(id string) CallOption { return func(o *callOptions) { o.uuid = id } }

// PlaceCall makes an incoming call whose dialplan runs the socket app
// towards addr (an outbound socket server; "h1:p|h2:p" tries hosts in
// order), with vars set on the channel first. The channel is not answered:
// the server does that. PlaceCall returns once the switch has connected;
// the server's "connect" gets the channel data. If no host accepts, the
// channel hangs up and the error says why.
func (sw *Switch) PlaceCall(ctx context.Context, addr string, vars map[string]string, opts ...CallOption) (*Channel, error) {
	co := callOptions{async: true, cidNum: "1000", dest: "fsstar"}
	for _, o := range opts {
		o(&co)
	}
	ch, err := sw.incoming(co, vars)
	if err != nil {
		return nil, fmt.Errorf("esltest: place call to %s: %w", addr, err)
	}
	ch.placed = make(chan error, 1)
	ch.setState("CS_ROUTING", "RINGING")
	ch.start([]App{{"socket", co.socketArg(addr)}})
	select {
	case err := <-ch.placed:
		if err != nil {
			return nil, fmt.Errorf("esltest: place call to %s: %w", addr, err)
		}
		return ch, nil
	case <-ctx.Done():
		ch.Hangup("ORIGINATOR_CANCEL")
		return nil, fmt.Errorf("esltest: place call to %s: %w", addr, ctx.Err())
	}
}

// ParkCall makes an incoming call whose dialplan sets vars and parks it,
// as park mode's dialplan does ("set fsstar_app=...", "park"); before are
// apps run ahead of the park (e.g. sched_hangup, the last resort when no
// fsstar claims the call). It returns the channel once it is parked
// (CHANNEL_PARK sent).
func (sw *Switch) ParkCall(ctx context.Context, vars map[string]string, before []App, opts ...CallOption) (*Channel, error) {
	co := callOptions{cidNum: "1000", dest: "fsstar"}
	for _, o := range opts {
		o(&co)
	}
	ch, err := sw.incoming(co, vars)
	if err != nil {
		return nil, fmt.Errorf("esltest: park call: %w", err)
	}
	ch.setState("CS_ROUTING", "RINGING")
	ch.start(append(append([]App(nil), before...), App{"park", ""}))
	for {
		if ch.parkCount() > 0 || ch.isHungup() {
			return ch, nil
		}
		select {
		case <-ctx.Done():
			ch.Hangup("ORIGINATOR_CANCEL")
			return nil, fmt.Errorf("esltest: park call: %w", ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}

// incoming makes the channel of an incoming call with vars set.
func (sw *Switch) incoming(co callOptions, vars map[string]string) (*Channel, error) {
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var vs [][2]string
	for _, k := range keys {
		vs = append(vs, [2]string{k, vars[k]})
	}
	return sw.newChannel(chanSpec{
		uuid: co.uuid, name: "esltest/" + co.dest, direction: "inbound",
		prof: profile{cidName: co.cidName, cidNum: co.cidNum, dest: co.dest, context: "default", source: "mod_esltest"},
		vars: vs,
	})
}

func (ch *Channel) reportPlaced(err error) {
	if ch.placed != nil {
		select {
		case ch.placed <- err:
		default:
		}
	}
}

// appSocket is the socket app: "host:port[|host:port...] [async] [full]".
func appSocket(ctx context.Context, ch *Channel, arg string) string {
	f := strings.Fields(arg)
	if len(f) == 0 {
		ch.reportPlaced(fmt.Errorf("socket: no address"))
		return ""
	}
	async, full := false, false
	for _, w := range f[1:] {
		async = async || w == "async"
		full = full || w == "full"
	}
	var nc net.Conn
	var err error
	for _, host := range strings.Split(f[0], "|") {
		d := net.Dialer{Timeout: 5 * time.Second}
		nc, err = d.DialContext(ctx, "tcp", host)
		if err == nil {
			ch.markTiming(func(t *SocketTiming) *time.Time { return &t.Connected })
			h, _, _ := net.SplitHostPort(host)
			ch.vars.set("socket_host", h)
			break
		}
		ch.sw.log.Error("socket: connect failed", "host", host, "uuid", ch.uuid, "error", err)
	}
	if err != nil {
		ch.reportPlaced(err)
		return ""
	}
	c := ch.sw.newConn(nc, true)
	if c == nil {
		nc.Close()
		ch.reportPlaced(fmt.Errorf("switch closed"))
		return ""
	}
	c.ch, c.async, c.full = ch, async, full
	ch.mu.Lock()
	ch.sock = c
	ch.mu.Unlock()
	ch.sw.wg.Add(1)
	go func() {
		defer ch.sw.wg.Done()
		c.serveOutbound()
	}()
	ch.reportPlaced(nil)
	if async {
		ch.sw.publish(ch.event("CHANNEL_PARK", "switch_ivr.c", "switch_ivr_park", 998))
	}
	ch.serveQueue(ctx, c.done, async)
	if ctx.Err() == nil {
		c.mu.Lock()
		resumed := c.resumed
		c.mu.Unlock()
		if !resumed {
			ch.Hangup("NORMAL_CLEARING")
		}
	}
	if async {
		ch.sw.publish(ch.event("CHANNEL_UNPARK", "switch_ivr.c", "switch_ivr_park", 1179))
	}
	return ""
}

// serveOutbound runs the switch's side of an outbound socket: nothing is
// answered until "connect", which gets the channel data.
func (c *conn) serveOutbound() {
	defer c.finish()
	connected := false
	c.loop(func(cmd *esl.Command) bool {
		c.ch.markTiming(func(t *SocketTiming) *time.Time { return &t.FirstCommand })
		c.ch.recordSocketCommand(cmd)
		if connected {
			if strings.HasPrefix(cmd.Line, "sendmsg") {
				c.ch.markTiming(func(t *SocketTiming) *time.Time { return &t.FirstSendMsg })
			}
			return c.dispatch(cmd)
		}
		if strings.TrimSpace(cmd.Line) != "connect" {
			return true
		}
		connected = true
		return c.writeReply(c.channelData())
	})
}

// channelData is the reply to connect: the CHANNEL_DATA event as one
// header block, URL-encoded, with the command/reply headers near the end.
func (c *conn) channelData() []byte {
	ev := c.ch.event("CHANNEL_DATA", "mod_event_socket.c", "parse_command", 2029)
	ev.Headers.Set("Event-Sequence", strconv.FormatUint(c.sw.seq.Add(1), 10))
	mode, control := "static", "single-channel"
	if c.async {
		mode = "async"
	}
	if c.full {
		control = "full"
	}
	var h esl.Headers
	for _, x := range ev.Headers {
		h.Add(x.Name, esl.URLEncode(x.Value))
	}
	h.Add("Content-Type", esl.TypeCommandReply)
	h.Add("Reply-Text", esl.URLEncode("+OK\n"))
	h.Add("Socket-Mode", mode)
	h.Add("Control", control)
	return esl.AppendFrame(nil, h, nil)
}

func (c *conn) lingering() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.linger
}

// lingerNotice is sent after CHANNEL_HANGUP_COMPLETE on a lingering
// socket; with "linger N" the switch closes the socket N seconds later.
func (c *conn) lingerNotice() bool {
	c.mu.Lock()
	lt := c.lingerTime
	c.mu.Unlock()
	h := esl.Headers{
		{Name: "Content-Type", Value: esl.TypeDisconnectNotice},
		{Name: "Controlled-Session-UUID", Value: c.ch.uuid},
		{Name: "Content-Disposition", Value: "linger"},
		{Name: "Channel-Name", Value: c.ch.name},
		{Name: "Linger-Time", Value: strconv.Itoa(lt)},
		{Name: "Content-Length", Value: "0"},
	}
	if c.write(esl.AppendFrame(nil, h, nil)) != nil {
		return false
	}
	if lt > 0 {
		time.AfterFunc(c.sw.scaled(time.Duration(lt)*time.Second), func() {
			c.push(qitem{fn: func() bool { c.disconnectNotice(c.ch.uuid); return false }})
		})
	}
	return true
}

// replyMax is how much of a command reply fits mod_event_socket's reply
// buffer (char reply[512]).
const replyMax = 511

// outboundCommand handles linger, nolinger, resume and getvar on an
// outbound socket.
func (c *conn) outboundCommand(verb, arg string) bool {
	switch verb {
	case "linger":
		if !c.full {
			return c.reply("-ERR command not found")
		}
		n := -1
		if arg != "" {
			v, err := strconv.Atoi(arg)
			if err != nil || v <= 0 {
				return c.reply("-ERR invalid linger time")
			}
			n = v
		}
		c.mu.Lock()
		c.linger, c.lingerTime = true, n
		c.mu.Unlock()
		if n > 0 {
			return c.reply("+OK will linger " + arg + " seconds")
		}
		return c.reply("+OK will linger")
	case "nolinger":
		c.mu.Lock()
		c.linger, c.lingerTime = false, -1
		c.mu.Unlock()
		return c.reply("+OK will not linger")
	case "resume":
		c.mu.Lock()
		c.resumed = true
		c.mu.Unlock()
		return c.reply("+OK")
	default: // getvar
		// The value goes into a 512-byte reply buffer, printed as the
		// Reply-Text header as it is: cut at 511 bytes, and a newline in it
		// ends the header early. An empty reply reads as not found.
		v, _ := c.ch.vars.get(arg)
		if len(v) > replyMax {
			v = v[:replyMax]
		}
		if v == "" {
			return c.reply("-ERR command not found")
		}
		return c.reply(v)
	}
}

// sendmsg handles "sendmsg [uuid]" with call-command execute, hangup,
// nomedia and the other acknowledged commands.
func (c *conn) sendmsg(arg string, cmd *esl.Command) bool {
	id, _, _ := strings.Cut(arg, " ")
	var ch *Channel
	if id == "" && c.outbound {
		ch = c.ch
		id = ch.uuid
	} else {
		ch = c.sw.Channel(id)
	}
	if ch == nil {
		return c.reply("-ERR invalid session id [" + id + "]")
	}
	switch strings.ToLower(cmd.Headers.Get("call-command")) {
	case "execute":
		name := cmd.Headers.Get("execute-app-name")
		appArg, hasArg := cmd.Headers.Lookup("execute-app-arg")
		if !hasArg && len(cmd.Body) > 0 {
			appArg = string(cmd.Body)
		}
		x := &execution{app: App{name, appArg}, uuid: cmd.Headers.Get("Event-UUID"), loops: atoiDefault(cmd.Headers.Get("loops"), 1)}
		if x.uuid == "" {
			x.uuid = newUUID()
		}
		if err := ch.enqueue(x); err != nil {
			return c.reply("-ERR " + err.Error())
		}
		if c.outbound && !c.async && ch == c.ch {
			select {
			case <-x.done:
			case <-ch.done:
			case <-c.done:
				return false
			}
		}
		return c.reply("+OK")
	case "hangup":
		ch.Hangup(cmd.Headers.Get("hangup-cause"))
		return c.reply("+OK")
	case "nomedia", "unicast", "xferext", "sched-hangup", "sched-transfer", "sched-broadcast":
		return c.reply("+OK")
	default:
		return c.reply("-ERR invalid command")
	}
}
