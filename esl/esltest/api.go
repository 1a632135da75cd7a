package esltest

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fsstar/fsstar/esl"
)

const versionText = "FreeSWITCH Version 1.11.3-dev~64bit ( 64bit)\n"

const noSuchChannel = "-ERR No such channel!\n"

// apiFunc runs one api command: arg is what follows the command's name,
// trimmed; the result is the body of the switch's api/response.
type apiFunc func(ctx context.Context, sw *Switch, arg string) string

// apiCommands are the api commands the simulated switch knows, by name;
// uuidCommands are the uuid_* ones that act on a channel. Both are filled
// in init (as cmd/go fills its commands' Run): commands such as eval and
// uuid_transfer reach api again (through ${...} expansion and the
// dialplan), which reads the tables, and a variable's initializer may not
// refer to itself.
var (
	apiCommands  map[string]apiFunc
	uuidCommands map[string]uuidCommand
)

func init() {
	apiCommands, uuidCommands = apiCommandTable(), uuidCommandTable()
}

// apiCommandTable makes apiCommands.
func apiCommandTable() map[string]apiFunc {
	return map[string]apiFunc{
		"status":        func(_ context.Context, sw *Switch, _ string) string { return sw.status() },
		"version":       func(context.Context, *Switch, string) string { return versionText },
		"hostname":      func(_ context.Context, sw *Switch, _ string) string { return sw.opts.hostname },
		"echo":          func(_ context.Context, _ *Switch, arg string) string { return arg },
		"eval":          apiEval,
		"log":           apiLog,
		"show":          func(_ context.Context, sw *Switch, arg string) string { return sw.show(arg) },
		"global_getvar": apiGlobalGetvar,
		"global_setvar": apiGlobalSetvar,
		"originate":     func(ctx context.Context, sw *Switch, arg string) string { return sw.originate(ctx, arg) },
		"hash":          func(_ context.Context, sw *Switch, arg string) string { return sw.hash.hashAPI(arg) },
		"hash_dump":     func(_ context.Context, sw *Switch, arg string) string { return sw.hashDumpAPI(arg) },
		"sched_del":     func(_ context.Context, sw *Switch, arg string) string { return sw.sched.del(arg) },
		"uuid_exists":   apiUUIDExists,
		"hupall":        apiHupall,
	}
}

// causeName is what a hangup cause looks like (USER_BUSY, NO_ANSWER...).
var causeName = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// apiHupall is hupall [<cause> [<var> <value>]...]: the channels up whose
// variables match every pair (all of them without a pair) hang up with
// cause (MANAGER_REQUEST when it names none).
func apiHupall(_ context.Context, sw *Switch, arg string) string {
	a := separateString(arg, ' ', 11)
	cause := "MANAGER_REQUEST"
	if len(a) > 0 && causeName.MatchString(a[0]) && a[0] != "NONE" {
		cause = a[0] // the simulated switch takes any cause-like name
	}
	var match [][2]string
	for i := 1; i+1 < len(a); i += 2 {
		if a[i] != "" && a[i+1] != "" {
			match = append(match, [2]string{a[i], a[i+1]})
		}
	}
	for _, ch := range sw.Channels() {
		ok := true
		for _, kv := range match {
			if ch.Var(kv[0]) != kv[1] {
				ok = false
			}
		}
		if ok {
			ch.Hangup(cause)
		}
	}
	switch len(match) {
	case 0:
		return "+OK hangup all channels with cause " + cause + "\n"
	case 1:
		return "+OK hangup all channels matching [" + a[1] + "]=[" + a[2] + "] with cause: " + cause + "\n"
	}
	return "+OK hangup all channels matching [" + a[1] + "]=[" + a[2] + "]... with cause: " + cause + "\n"
}

// api runs one API command line ("status", "uuid_kill <uuid>", ...) and
// returns its output as the switch would put it in an api/response body.
func (sw *Switch) api(ctx context.Context, line string) string {
	if reply, ok := sw.takeAPIFault(strings.TrimSpace(line)); ok {
		return reply
	}
	cmd, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
	arg = strings.TrimSpace(arg)
	sw.apiEvent(cmd, arg)
	if fn, ok := apiCommands[cmd]; ok {
		return fn(ctx, sw, arg)
	}
	if uc, ok := uuidCommands[cmd]; ok {
		return sw.runUUIDCommand(uc, arg)
	}
	return "-ERR " + cmd + " Command not found!\n"
}

// apiUUIDExists is uuid_exists: "true" or "false" (it needs no channel,
// unlike the uuidCommands). A channel that hung up does not exist, as
// switch_core_session_locate finds no channel once it is down.
func apiUUIDExists(_ context.Context, sw *Switch, arg string) string {
	f := strings.Fields(arg)
	if len(f) == 0 {
		return "-USAGE: <uuid>\n"
	}
	return strconv.FormatBool(sw.liveChannel(f[0]) != nil)
}

// apiEval is eval: the argument expanded, or "-ERR no reply" for nothing.
func apiEval(_ context.Context, sw *Switch, arg string) string {
	out := sw.expandVars(arg, nil, 0)
	if out == "" {
		return "-ERR no reply\n"
	}
	return out
}

// apiLog is log: "[<level>] <message>" to the switch's log (level debug
// when the first word is not one).
func apiLog(_ context.Context, sw *Switch, arg string) string {
	level, msg, _ := strings.Cut(arg, " ")
	n, ok := esl.ParseLogLevel(level)
	if !ok {
		n, msg = 7, arg
	}
	sw.logLine(n, "mod_commands.c", msg+"\n")
	return "+OK\n"
}

// apiGlobalGetvar is global_getvar: one global, or all of them as
// name=value lines.
func apiGlobalGetvar(_ context.Context, sw *Switch, arg string) string {
	if arg == "" {
		var b strings.Builder
		sw.globals.each(func(k, v string) { fmt.Fprintf(&b, "%s=%s\n", k, v) })
		return b.String()
	}
	v, _ := sw.globals.get(arg)
	return v
}

// apiGlobalSetvar is global_setvar: switch_separate_string on '=' into
// var, value and a condition: with one, the value is set only when the
// current one equals it.
func apiGlobalSetvar(_ context.Context, sw *Switch, arg string) string {
	a := separateString(arg, '=', 3)
	if len(a) == 0 || a[0] == "" {
		return "-USAGE: <var>[=<value>]\n"
	}
	a = append(a, "", "")
	if cond := a[2]; cond != "" {
		if cur, _ := sw.globals.get(a[0]); cur != cond {
			return "+OK"
		}
	}
	if a[1] == "" {
		sw.globals.unset(a[0])
	} else {
		// switch_core_set_variable disables variables in the value:
		// the '$' of "${" becomes '%'.
		sw.globals.set(a[0], disableVars(a[1]))
	}
	return "+OK"
}

// apiEvent fires the API event FreeSWITCH sends for every api command.
func (sw *Switch) apiEvent(cmd, arg string) {
	ev := sw.newEvent("API", "switch_loadable_module.c", "switch_api_execute", 2969)
	ev.Headers.Add("API-Command", cmd)
	if arg != "" {
		ev.Headers.Add("API-Command-Argument", arg)
	}
	sw.publish(ev)
}

func (sw *Switch) status() string {
	up := time.Since(sw.started)
	days := int(up.Hours()) / 24
	n := len(sw.Channels())
	return fmt.Sprintf("UP 0 years, %d days, %d hours, %d minutes, %d seconds, %d milliseconds, %d microseconds\n"+
		"FreeSWITCH (Version 1.11.3-dev  64bit) is ready\n"+
		"%d session(s) since startup\n"+
		"%d session(s) - peak %d, last 5min %d \n"+
		"0 session(s) per Sec out of max 30, peak 0, last 5min 0 \n"+
		"%d session(s) max\n"+
		"min idle cpu 0.00/99.00\n"+
		"Current Stack Size/Max 240K/8192K\n",
		days, int(up.Hours())%24, int(up.Minutes())%60, int(up.Seconds())%60, up.Milliseconds()%1000, up.Microseconds()%1000,
		sw.sessions.Load(), n, n, n, sw.opts.maxChannels)
}

var channelColumns = strings.Split("uuid,direction,created,created_epoch,name,state,cid_name,cid_num,ip_addr,dest,application,application_data,dialplan,context,read_codec,read_rate,read_bit_rate,write_codec,write_rate,write_bit_rate,secure,hostname,presence_id,presence_data,accountcode,callstate,callee_name,callee_num,callee_direction,call_uuid,sent_callee_name,sent_callee_num,initial_cid_name,initial_cid_num,initial_ip_addr,initial_dest,initial_dialplan,initial_context", ",")

func (ch *Channel) row() map[string]string {
	ch.mu.Lock()
	state, callState, app, appArg := ch.state, ch.callState, ch.curApp, ch.curArg
	p := ch.prof
	ch.mu.Unlock()
	return map[string]string{
		"uuid": ch.uuid, "direction": ch.direction, "created": ch.created.Format("2006-01-02 15:04:05"),
		"created_epoch": strconv.FormatInt(ch.created.Unix(), 10), "name": ch.name, "state": state,
		"cid_name": p.cidName, "cid_num": p.cidNum, "dest": p.dest, "application": app, "application_data": appArg,
		"dialplan": "xml", "context": p.context, "read_codec": "L16", "read_rate": "8000", "read_bit_rate": "128000",
		"write_codec": "L16", "write_rate": "8000", "write_bit_rate": "128000", "hostname": ch.sw.opts.hostname,
		"callstate": callState, "callee_name": p.calleeName, "callee_num": p.calleeNum, "call_uuid": ch.uuid,
		"initial_cid_num": p.cidNum, "initial_dest": p.dest, "initial_dialplan": "xml", "initial_context": p.context,
	}
}

// show implements "show channels|calls [as json]" (other lists are empty).
func (sw *Switch) show(arg string) string {
	what, format, _ := strings.Cut(arg, " ")
	asJSON := strings.TrimSpace(format) == "as json"
	chans := sw.Channels()
	switch what {
	case "channels", "calls":
	default:
		chans = nil
	}
	if asJSON {
		if len(chans) == 0 {
			return "{\"row_count\": 0}\n"
		}
		var b strings.Builder
		fmt.Fprintf(&b, "{\"row_count\":%d,\"rows\":[", len(chans))
		for i, ch := range chans {
			if i > 0 {
				b.WriteByte(',')
			}
			row := ch.row()
			b.WriteByte('{')
			for j, col := range channelColumns {
				if j > 0 {
					b.WriteByte(',')
				}
				k, _ := json.Marshal(col)
				v, _ := json.Marshal(row[col])
				b.Write(k)
				b.WriteByte(':')
				b.Write(v)
			}
			b.WriteByte('}')
		}
		b.WriteString("]}")
		return b.String()
	}
	var b strings.Builder
	if len(chans) > 0 {
		b.WriteString(strings.Join(channelColumns, ","))
		b.WriteByte('\n')
		for _, ch := range chans {
			row := ch.row()
			vals := make([]string, len(channelColumns))
			for j, col := range channelColumns {
				vals[j] = row[col]
			}
			b.WriteString(strings.Join(vals, ","))
			b.WriteByte('\n')
		}
	}
	fmt.Fprintf(&b, "\n%d total.\n", len(chans))
	return b.String()
}

// uuidCommand is one of the uuid_* api commands that act on a channel
// named by the first word of their argument.
type uuidCommand struct {
	// usage is the reply to a command without a uuid (or without what
	// else it needs).
	usage string
	// options are words that may come before the uuid (uuid_hold's).
	options []string
	// run acts on the channel, which exists.
	run func(ch *Channel, a uuidArgs) string
}

// uuidArgs is what a uuidCommand's run is given.
type uuidArgs struct {
	arg   string // the whole argument, the uuid first
	rest  string // what follows the uuid, trimmed
	usage string // the command's usage reply
}

// uuidCommandTable makes uuidCommands (uuid_exists, which needs no
// channel, is in apiCommands).
func uuidCommandTable() map[string]uuidCommand {
	return map[string]uuidCommand{
		"uuid_kill": {usage: "-USAGE: <uuid> [cause]\n", run: func(ch *Channel, a uuidArgs) string {
			ch.Hangup(a.rest)
			return "+OK\n"
		}},
		"uuid_dump":         {usage: "-USAGE: <uuid> [format]\n", run: uuidDump},
		"uuid_getvar":       {usage: "-USAGE: <uuid> <var>\n", run: uuidGetvar},
		"uuid_setvar":       {usage: "-USAGE: <uuid> <var> [value]\n", run: uuidSetvar},
		"uuid_setvar_multi": {usage: "-USAGE: <uuid> <var>=<value>;<var>=<value>...\n", run: uuidSetvarMulti},
		"uuid_break":        {usage: "-USAGE: <uuid> [all]\n", run: uuidBreak},
		"uuid_fileman":      {usage: "-USAGE: <uuid> <cmd>:<val>\n", run: uuidFileman},
		"uuid_send_dtmf":    {usage: "-USAGE: <uuid> <dtmf_data>\n", run: uuidSendDTMF},
		"uuid_recv_dtmf":    {usage: "-USAGE: <uuid> <dtmf_data>\n", run: uuidRecvDTMF},
		"uuid_bridge":       {usage: "-USAGE: <uuid> <other_uuid>\n", run: uuidBridge},
		"uuid_transfer":     {usage: "-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n", run: uuidTransfer},
		"uuid_answer": {usage: "-USAGE: <uuid>\n", run: func(ch *Channel, _ uuidArgs) string {
			ch.answer()
			return "+OK\n"
		}},
		"uuid_hold": {usage: "-USAGE: [off|toggle] <uuid> [<display>]\n", options: []string{"off", "toggle"},
			run: func(*Channel, uuidArgs) string { return "+OK\n" }},
		"uuid_park": {usage: "-USAGE: <uuid>\n", run: func(ch *Channel, _ uuidArgs) string {
			ch.transfer("park")
			return "+OK\n"
		}},
		"uuid_broadcast": {usage: "-USAGE: <uuid> <path> [aleg|bleg|both]\n", run: uuidBroadcast},
		"uuid_displace":  {usage: "-USAGE: <uuid> [start|stop] <path> [<limit>] [mux]\n", run: uuidDisplace},
	}
}

// runUUIDCommand finds the channel a uuid_* command names and runs it there.
func (sw *Switch) runUUIDCommand(uc uuidCommand, arg string) string {
	f := strings.Fields(arg)
	if len(f) > 0 && slices.Contains(uc.options, f[0]) {
		f = f[1:]
	}
	if len(f) == 0 {
		return uc.usage
	}
	ch := sw.Channel(f[0])
	if ch == nil {
		return noSuchChannel
	}
	rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(arg), f[0]))
	return uc.run(ch, uuidArgs{arg: arg, rest: rest, usage: uc.usage})
}

// uuidDump is uuid_dump: the channel's variables as a CHANNEL_DATA event,
// plain or json.
func uuidDump(ch *Channel, a uuidArgs) string {
	ev := ch.event("CHANNEL_DATA", "switch_ivr.c", "switch_ivr_uuid_dump", 1)
	ev.Headers.Set("Event-Sequence", strconv.FormatUint(ch.sw.seq.Add(1), 10))
	if a.rest == "json" {
		b, _ := ev.MarshalJSON()
		return string(b)
	}
	return string(ev.MarshalPlain())
}

// uuidGetvar is uuid_getvar, as switch_channel_get_variable: the
// variables, then the caller profile's fields, then the globals.
func uuidGetvar(ch *Channel, a uuidArgs) string {
	if a.rest == "" {
		return a.usage
	}
	if v, ok := ch.sw.lookupVar(a.rest, ch); ok {
		return v
	}
	return "_undef_"
}

// uuidSetvar is uuid_setvar: switch_separate_string on blanks: uuid, name,
// and the rest as the value (quotes removed, escapes read); none or ""
// unsets.
func uuidSetvar(ch *Channel, a uuidArgs) string {
	f := separateString(a.arg, ' ', 3)
	if len(f) < 2 || f[1] == "" {
		return "-ERR No variable specified\n"
	}
	if len(f) < 3 || f[2] == "" {
		ch.vars.unset(f[1])
	} else {
		ch.vars.set(f[1], f[2])
	}
	return "+OK\n"
}

// uuidSetvarMulti is uuid_setvar_multi: switch_separate_string on ';'
// (quotes removed, escapes read), then each part cut at its first '='.
func uuidSetvarMulti(ch *Channel, a uuidArgs) string {
	for _, kv := range separateString(a.rest, ';', 64) {
		k, v, _ := strings.Cut(kv, "=")
		if k = strings.TrimSpace(k); k != "" {
			if v == "" {
				ch.vars.unset(k)
			} else {
				ch.vars.set(k, v)
			}
		}
	}
	return "+OK\n"
}

// uuidBreak is uuid_break: it stops the app playing media, and with "all"
// drops the queued ones too.
func uuidBreak(ch *Channel, a uuidArgs) string {
	ch.recordMedia(strings.TrimSpace("break " + a.rest))
	if a.rest == "all" {
		for {
			select {
			case x := <-ch.queue:
				close(x.done)
				continue
			default:
			}
			break
		}
	}
	select {
	case ch.brk <- struct{}{}:
	default:
	}
	return "+OK\n"
}

// uuidDisplace is uuid_displace <uuid> start|stop <path> [<limit>]
// [<flags>]: recorded among the media commands ("displace start <path>",
// "displace stop <path>"); the simulated media does not mix it in. Stop of
// a path not displaced fails, as the switch's.
func uuidDisplace(ch *Channel, a uuidArgs) string {
	f := separateString(a.rest, ' ', 4)
	if len(f) < 2 || f[1] == "" {
		return a.usage
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	switch f[0] {
	case "start":
		if ch.displaced == nil {
			ch.displaced = map[string]bool{}
		}
		ch.displaced[f[1]] = true
		ch.media = append(ch.media, "displace start "+f[1])
		return "+OK Success\n"
	case "stop":
		if !ch.displaced[f[1]] {
			return "-ERR Cannot stop displace session!\n"
		}
		delete(ch.displaced, f[1])
		ch.media = append(ch.media, "displace stop "+f[1])
		return "+OK Success\n"
	}
	return a.usage
}

// uuidFileman is uuid_fileman: stop, pause and restart of the file
// playing (others are accepted and do nothing here).
func uuidFileman(ch *Channel, a uuidArgs) string {
	ch.recordMedia("fileman " + a.rest)
	c, _, _ := strings.Cut(a.rest, ":")
	switch c {
	case "stop":
		select {
		case ch.brk <- struct{}{}:
		default:
		}
	case "pause", "restart":
		select {
		case ch.fman <- c:
		default:
		}
	}
	return "+OK\n"
}

// uuidSendDTMF is uuid_send_dtmf: the digits go to the other leg (the
// peer, else the bridged channel), as if sent from this one.
func uuidSendDTMF(ch *Channel, a uuidArgs) string {
	if a.rest == "" {
		return a.usage
	}
	target := ch
	ch.mu.Lock()
	if ch.peer != nil {
		target = ch.peer
	} else if ch.bridged != nil {
		target = ch.bridged
	}
	ch.mu.Unlock()
	target.SendDTMF(a.rest)
	digits, _, _ := strings.Cut(a.rest, "@")
	return "+OK " + ch.uuid + " sent DTMF " + digits + ".\n"
}

// uuidRecvDTMF is uuid_recv_dtmf: the digits arrive on the channel itself.
func uuidRecvDTMF(ch *Channel, a uuidArgs) string {
	if a.rest == "" {
		return a.usage
	}
	ch.SendDTMF(a.rest)
	return "+OK\n"
}

// uuidBridge is uuid_bridge: both channels are answered and bridged.
func uuidBridge(ch *Channel, a uuidArgs) string {
	other := ch.sw.Channel(a.rest)
	if other == nil {
		return "-ERR Invalid uuid " + a.rest + "\n"
	}
	if other == ch || other.isHungup() {
		return "-ERR Invalid uuid " + a.rest + "\n"
	}
	ch.answer()
	other.answer()
	ch.startUUIDBridge(other)
	return "+OK " + other.uuid + "\n"
}

// uuidTransfer is uuid_transfer: [-bleg|-both] <dest-exten> [<dialplan>]
// [<context>] after the uuid.
func uuidTransfer(ch *Channel, a uuidArgs) string {
	ext := separateString(a.arg, ' ', 5)[1:]
	if len(ext) > 0 && strings.HasPrefix(ext[0], "-") {
		ext = ext[1:]
	}
	if len(ext) == 0 {
		return a.usage
	}
	ext = append(ext, "", "")
	ch.sessionTransfer(ext[0], ext[1], ext[2])
	return "+OK\n"
}

// uuidBroadcast is uuid_broadcast: the file is queued for playback on the
// channel.
func uuidBroadcast(ch *Channel, a uuidArgs) string {
	path, _, _ := strings.Cut(a.rest, " ")
	if err := ch.enqueue(&execution{app: App{"playback", path}, uuid: newUUID(), loops: 1}); err != nil {
		return "-ERR " + err.Error() + "\n"
	}
	return "+OK Message sent\n"
}
