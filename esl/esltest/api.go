package esltest

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/fsstar/fsstar/esl"
)

const versionText = "FreeSWITCH Version 1.11.3-dev~64bit ( 64bit)\n"

const noSuchChannel = "-ERR No such channel!\n"

// api runs one API command line ("status", "uuid_kill <uuid>", ...) and
// returns its output as the switch would put it in an api/response body.
func (sw *Switch) api(ctx context.Context, line string) string {
	cmd, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
	arg = strings.TrimSpace(arg)
	sw.apiEvent(cmd, arg)
	switch cmd {
	case "status":
		return sw.status()
	case "version":
		return versionText
	case "hostname":
		return sw.opts.hostname
	case "echo":
		return arg
	case "eval":
		out := sw.expandVars(arg, nil, 0)
		if out == "" {
			return "-ERR no reply\n"
		}
		return out
	case "log":
		level, msg, _ := strings.Cut(arg, " ")
		n, ok := esl.ParseLogLevel(level)
		if !ok {
			n, msg = 7, arg
		}
		sw.logLine(n, "mod_commands.c", msg+"\n")
		return "+OK\n"
	case "show":
		return sw.show(arg)
	case "global_getvar":
		if arg == "" {
			var b strings.Builder
			sw.globals.each(func(k, v string) { fmt.Fprintf(&b, "%s=%s\n", k, v) })
			return b.String()
		}
		v, _ := sw.globals.get(arg)
		return v
	case "global_setvar":
		// switch_separate_string on '=' into var, value and a condition:
		// with one, the value is set only when the current one equals it.
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
	case "originate":
		return sw.originate(ctx, arg)
	case "hash":
		return sw.hash.hashAPI(arg)
	case "hash_dump":
		return sw.hashDumpAPI(arg)
	case "sched_del":
		return sw.sched.del(arg)
	case "uuid_kill", "uuid_exists", "uuid_dump", "uuid_getvar", "uuid_setvar", "uuid_setvar_multi",
		"uuid_break", "uuid_fileman", "uuid_send_dtmf", "uuid_recv_dtmf", "uuid_bridge",
		"uuid_transfer", "uuid_answer", "uuid_hold", "uuid_park", "uuid_broadcast":
		return sw.uuidCommand(cmd, arg)
	default:
		return "-ERR " + cmd + " Command not found!\n"
	}
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

var uuidUsage = map[string]string{
	"uuid_kill": "-USAGE: <uuid> [cause]\n", "uuid_exists": "-USAGE: <uuid>\n", "uuid_dump": "-USAGE: <uuid> [format]\n",
	"uuid_getvar": "-USAGE: <uuid> <var>\n", "uuid_setvar": "-USAGE: <uuid> <var> [value]\n",
	"uuid_setvar_multi": "-USAGE: <uuid> <var>=<value>;<var>=<value>...\n", "uuid_break": "-USAGE: <uuid> [all]\n",
	"uuid_fileman": "-USAGE: <uuid> <cmd>:<val>\n", "uuid_send_dtmf": "-USAGE: <uuid> <dtmf_data>\n",
	"uuid_recv_dtmf": "-USAGE: <uuid> <dtmf_data>\n", "uuid_bridge": "-USAGE: <uuid> <other_uuid>\n",
	"uuid_transfer": "-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n",
	"uuid_answer":   "-USAGE: <uuid>\n", "uuid_hold": "-USAGE: [off|toggle] <uuid> [<display>]\n",
	"uuid_park": "-USAGE: <uuid>\n", "uuid_broadcast": "-USAGE: <uuid> <path> [aleg|bleg|both]\n",
}

// uuidCommand runs the uuid_* commands.
func (sw *Switch) uuidCommand(cmd, arg string) string {
	f := strings.Fields(arg)
	if cmd == "uuid_hold" && len(f) > 0 && (f[0] == "off" || f[0] == "toggle") {
		f = f[1:]
	}
	if len(f) == 0 {
		return uuidUsage[cmd]
	}
	ch := sw.Channel(f[0])
	if cmd == "uuid_exists" {
		return strconv.FormatBool(ch != nil)
	}
	if ch == nil {
		return noSuchChannel
	}
	rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(arg), f[0]))
	switch cmd {
	case "uuid_kill":
		ch.Hangup(rest)
		return "+OK\n"
	case "uuid_dump":
		ev := ch.event("CHANNEL_DATA", "switch_ivr.c", "switch_ivr_uuid_dump", 1)
		ev.Headers.Set("Event-Sequence", strconv.FormatUint(sw.seq.Add(1), 10))
		if rest == "json" {
			b, _ := ev.MarshalJSON()
			return string(b)
		}
		return string(ev.MarshalPlain())
	case "uuid_getvar":
		if rest == "" {
			return uuidUsage[cmd]
		}
		// switch_channel_get_variable: the variables, then the caller
		// profile's fields, then the globals.
		if v, ok := sw.lookupVar(rest, ch); ok {
			return v
		}
		return "_undef_"
	case "uuid_setvar":
		// switch_separate_string on blanks: uuid, name, and the rest as
		// the value (quotes removed, escapes read); none or "" unsets.
		a := separateString(arg, ' ', 3)
		if len(a) < 2 || a[1] == "" {
			return "-ERR No variable specified\n"
		}
		if len(a) < 3 || a[2] == "" {
			ch.vars.unset(a[1])
		} else {
			ch.vars.set(a[1], a[2])
		}
		return "+OK\n"
	case "uuid_setvar_multi":
		// switch_separate_string on ';' (quotes removed, escapes read),
		// then each part cut at its first '='.
		for _, kv := range separateString(rest, ';', 64) {
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
	case "uuid_break":
		ch.recordMedia(strings.TrimSpace("break " + rest))
		if rest == "all" {
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
	case "uuid_fileman":
		ch.recordMedia("fileman " + rest)
		c, _, _ := strings.Cut(rest, ":")
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
	case "uuid_send_dtmf", "uuid_recv_dtmf":
		if rest == "" {
			return uuidUsage[cmd]
		}
		target := ch
		ch.mu.Lock()
		if cmd == "uuid_send_dtmf" {
			if ch.peer != nil {
				target = ch.peer
			} else if ch.bridged != nil {
				target = ch.bridged
			}
		}
		ch.mu.Unlock()
		target.SendDTMF(rest)
		if cmd == "uuid_recv_dtmf" {
			return "+OK\n"
		}
		digits, _, _ := strings.Cut(rest, "@")
		return "+OK " + ch.uuid + " sent DTMF " + digits + ".\n"
	case "uuid_bridge":
		other := sw.Channel(rest)
		if other == nil {
			return "-ERR Invalid uuid " + rest + "\n"
		}
		if other == ch || other.isHungup() {
			return "-ERR Invalid uuid " + rest + "\n"
		}
		ch.answer()
		other.answer()
		ch.startUUIDBridge(other)
		return "+OK " + other.uuid + "\n"
	case "uuid_transfer":
		ext := separateString(arg, ' ', 5)[1:]
		if len(ext) > 0 && strings.HasPrefix(ext[0], "-") {
			ext = ext[1:]
		}
		if len(ext) == 0 {
			return uuidUsage[cmd]
		}
		ext = append(ext, "", "")
		ch.sessionTransfer(ext[0], ext[1], ext[2])
		return "+OK\n"
	case "uuid_answer":
		ch.answer()
		return "+OK\n"
	case "uuid_park":
		ch.transfer("park")
		return "+OK\n"
	case "uuid_broadcast":
		path, _, _ := strings.Cut(rest, " ")
		if err := ch.enqueue(&execution{app: App{"playback", path}, uuid: newUUID(), loops: 1}); err != nil {
			return "-ERR " + err.Error() + "\n"
		}
		return "+OK Message sent\n"
	default: // uuid_hold
		return "+OK\n"
	}
}
