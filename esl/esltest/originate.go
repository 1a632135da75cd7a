package esltest

import (
	"context"
	"sort"
	"strings"
	"time"
)

// route is one extension of the simulated dialplan.
type route struct{ apps []App }

func defaultRoutes() map[string]route {
	return map[string]route{
		"park":   {apps: []App{{"answer", ""}, {"park", ""}}},
		"echo":   {apps: []App{{"answer", ""}, {"echo", ""}}},
		"hangup": {apps: []App{{"hangup", "NORMAL_CLEARING"}}},
		"tone": {apps: []App{
			{"answer", ""},
			{"playback", "tone_stream://%(200,100,440);loops=2"},
			{"read", "1 1 tone_stream://%(100,100,350) fsstar_digit 8000 #"},
			{"hangup", "NORMAL_CLEARING"},
		}},
	}
}

// RouteApps adds an extension to the simulated dialplan: a channel sent to
// ext (loopback/<ext>, transfer, originate ... <ext>) runs apps in order
// and hangs up after the last one. Built in are "park" (answer, park),
// "echo", "hangup" and "tone" (answer, a tone, read one digit, hang up, as
// in the recorded calls).
func (sw *Switch) RouteApps(ext string, apps ...App) {
	sw.mu.Lock()
	sw.routes[ext] = route{apps: append([]App(nil), apps...)}
	sw.mu.Unlock()
}

// Route adds an extension that hands the call to an outbound socket
// server, as the dialplan "<action application="socket" data="addr async
// full"/>" does; vars are set on the channel first (e.g. fsstar_app).
// Options choose static mode. addr may list hosts as "h1:p|h2:p".
func (sw *Switch) Route(ext, addr string, vars map[string]string, opts ...CallOption) {
	co := callOptions{async: true}
	for _, o := range opts {
		o(&co)
	}
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var apps []App
	for _, k := range keys {
		apps = append(apps, App{"set", k + "=" + vars[k]})
	}
	apps = append(apps, App{"socket", co.socketArg(addr)})
	sw.RouteApps(ext, apps...)
}

func (sw *Switch) routeApps(ext string) ([]App, bool) {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	r, ok := sw.routes[ext]
	return r.apps, ok
}

// parseDial splits "{a=1,b='x y'}endpoint" into variables and endpoint as
// switch_event_create_brackets does: the variables are split on ',' and
// then on '=' with switch_separate_string (quotes removed, escapes read),
// and an element that is not exactly name=value is dropped. A '{' without
// its '}' leaves the rest as the endpoint (the switch: "Parse Error").
func parseDial(s string) ([][2]string, string) {
	s = strings.TrimLeft(s, " ")
	var vars [][2]string
	for len(s) > 0 && (s[0] == '{' || s[0] == '[' || s[0] == '<') {
		end := findEndParen(s)
		if end < 0 {
			break
		}
		inner := s[1:end]
		delim := byte(',')
		if len(inner) > 2 && inner[0] == '^' && inner[1] == '^' {
			delim, inner = inner[2], inner[3:]
		}
		for _, kv := range separateString(inner, delim, 1024) {
			if p := separateString(kv, '=', 2); len(p) == 2 {
				vars = append(vars, [2]string{p[0], p[1]})
			}
		}
		s = s[end+1:]
	}
	return vars, s
}

// findEndParen is switch_find_end_paren for s[0]: the index of the
// bracket that closes it, counting nested ones, or -1.
func findEndParen(s string) int {
	open := s[0]
	closer := map[byte]byte{'{': '}', '[': ']', '<': '>'}[open]
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case open:
			depth++
		case closer:
			if depth--; depth == 0 {
				return i
			}
		}
	}
	return -1
}

// checkDialVars drops the dial string variables whose value holds "${",
// as switch_ivr_originate does (switch_channel_set_variable_var_check with
// check_vars: "Invalid data"), unless origination_nested_vars is true.
func (sw *Switch) checkDialVars(vars [][2]string) [][2]string {
	if v := lookupVar(vars, "origination_nested_vars"); v == "true" {
		return vars
	}
	if v, _ := sw.globals.get("origination_nested_vars"); v == "true" {
		return vars
	}
	out := vars[:0:0]
	for _, kv := range vars {
		if varCheckConst(kv[1]) {
			sw.logLine(2, "switch_channel.c", "Invalid data (${"+kv[0]+"} contains a variable)\n")
			continue
		}
		out = append(out, kv)
	}
	return out
}

func lookupVar(vars [][2]string, k string) string {
	for _, kv := range vars {
		if kv[0] == k {
			return kv[1]
		}
	}
	return ""
}

// dial creates the leg(s) for a dial string and waits until the leg that
// runs aApps is answered (or rings, with return_ring_ready).
// loopback/<ext>[/<context>[/<dialplan>]] makes an a-leg and a b-leg that
// runs the extension (with the inline dialplan, ext is the apps, as
// "m:^:app:data^app" or "app:data,app"); error/<cause> fails; any other
// endpoint makes one leg that answers after a simulated ring. It returns
// the a-leg or the hangup cause. route marks the a-leg to be routed (the
// originate api's &app or extension): its caller ID is flipped before its
// apps run (see Channel.route).
//
// As switch_core_session_outgoing_channel, origination_aleg_uuid names a
// channel that stands for the originating session: the new leg gets
// originator, originator_codec, signal_bond and max_forwards, and that
// channel originate_signal_bond. The new leg's caller profile is the
// originate's caller ID (origination_caller_id_*, else "" and
// 0000000000), its callee ID "Outbound Call" and, for loopback, the last
// part of its destination, as the real switch gives them.
func (sw *Switch) dial(ctx context.Context, dialstring string, extra [][2]string, aApps []App, route bool) (*Channel, string) {
	vars, endpoint := parseDial(dialstring)
	vars = sw.checkDialVars(vars)
	vars = append(vars, extra...)
	tech, rest, _ := strings.Cut(endpoint, "/")
	cidNum := lookupVar(vars, "origination_caller_id_number")
	if cidNum == "" {
		cidNum = "0000000000"
	}
	cidName := lookupVar(vars, "origination_caller_id_name")
	var orig *Channel
	if u := lookupVar(vars, "origination_aleg_uuid"); u != "" {
		orig = sw.liveChannel(u)
	}
	if orig != nil {
		vars = append([][2]string{
			{"max_forwards", "70"}, {"originator_codec", "L16@8000h@20i"},
			{"originator", orig.uuid}, {"signal_bond", orig.uuid},
		}, vars...)
	}
	bonded := func(leg *Channel) {
		if orig != nil {
			orig.vars.set("originate_signal_bond", leg.uuid)
		}
		if route {
			leg.routed = make(chan struct{})
		}
	}
	switch tech {
	case "error":
		return nil, strings.ToUpper(rest)
	case "loopback":
		parts := strings.Split(rest, "/")
		ext, context := parts[0], "default"
		if len(parts) > 1 && parts[1] != "" {
			context = parts[1]
		}
		var bApps []App
		if len(parts) > 2 && parts[2] == "inline" {
			bApps = inlineApps(ext)
		} else {
			var ok bool
			if bApps, ok = sw.routeApps(ext); !ok {
				return nil, "NO_ROUTE_DESTINATION"
			}
		}
		calleeNum := parts[len(parts)-1]
		a, err := sw.newChannel(chanSpec{
			uuid: lookupVar(vars, "origination_uuid"), name: "loopback/" + ext + "-a", direction: "outbound",
			prof: profile{cidName: cidName, cidNum: cidNum, dest: ext, context: context, source: "mod_loopback", calleeName: "Outbound Call", calleeNum: calleeNum},
			vars: append(append([][2]string{{"is_outbound", "true"}}, vars...), [2]string{"loopback_leg", "A"}),
		})
		if err != nil {
			return nil, "SWITCH_CONGESTION"
		}
		bonded(a)
		bvars := append([][2]string{}, vars...)
		bvars = append(bvars, [2]string{"other_loopback_leg_uuid", a.uuid}, [2]string{"loopback_leg", "B"})
		b, err := sw.newChannel(chanSpec{
			name: "loopback/" + ext + "-b", direction: "inbound",
			prof: profile{cidName: cidName, cidNum: cidNum, dest: ext, context: context, source: "mod_loopback", calleeName: "Outbound Call", calleeNum: calleeNum},
			vars: bvars,
		})
		if err != nil {
			a.startAfterAnswer(nil)
			a.Hangup("SWITCH_CONGESTION")
			return nil, "SWITCH_CONGESTION"
		}
		a.vars.set("other_loopback_leg_uuid", b.uuid)
		a.peer, b.peer = b, a
		a.startAfterAnswer(aApps)
		b.start(bApps)
		return sw.waitAnswer(ctx, a)
	default:
		a, err := sw.newChannel(chanSpec{
			uuid: lookupVar(vars, "origination_uuid"), name: endpoint, direction: "outbound",
			prof: profile{cidName: cidName, cidNum: cidNum, dest: rest, context: "default", source: "mod_" + tech, calleeName: "Outbound Call", calleeNum: rest},
			vars: append([][2]string{{"is_outbound", "true"}}, vars...),
		})
		if err != nil {
			return nil, "SWITCH_CONGESTION"
		}
		bonded(a)
		a.autoAnswer = true
		a.startAfterAnswer(aApps)
		return sw.waitAnswer(ctx, a)
	}
}

// inlineApps reads the inline dialplan's extension (inline_dialplan_hunt):
// "app:data" items split on ',' or, after "m:<c>:", on <c>.
func inlineApps(target string) []App {
	delim := byte(',')
	if len(target) > 3 && target[0] == 'm' && target[1] == ':' && target[3] == ':' {
		delim, target = target[2], target[4:]
	}
	var apps []App
	for _, item := range separateString(target, delim, 128) {
		name, data, _ := strings.Cut(item, ":")
		apps = append(apps, App{name, data})
	}
	return apps
}

// waitAnswer waits for the a-leg to answer (originate's semantics: or to
// bring early media, unless ignore_early_media; or to ring, with
// return_ring_ready), for at most originate_timeout (default 60 simulated
// seconds).
func (sw *Switch) waitAnswer(ctx context.Context, a *Channel) (*Channel, string) {
	timeout := time.Duration(atoiDefault(a.Var("originate_timeout"), 60)) * time.Second
	t := time.NewTimer(sw.scaled(timeout))
	defer t.Stop()
	var early, ringing <-chan struct{}
	if !switchTrue(a.Var("ignore_early_media")) {
		early = a.earlyCh
	}
	if switchTrue(a.Var("return_ring_ready")) {
		ringing = a.ringCh
	}
	select {
	case <-a.answeredCh:
		return a, ""
	case <-early:
		return a, ""
	case <-ringing:
		return a, ""
	case <-a.ctx.Done():
		if a.Answered() {
			return a, ""
		}
		return nil, a.HangupCause()
	case <-t.C:
		a.Hangup("NO_ANSWER")
		return nil, "NO_ANSWER"
	case <-ctx.Done():
		a.Hangup("ORIGINATOR_CANCEL")
		return nil, "ORIGINATOR_CANCEL"
	}
}

// originate is "api originate <dial> <&app(arg)|ext> [dialplan] [context]
// [cid_name] [cid_num] [timeout]", split as the switch does
// (switch_separate_string on blanks: quote a dial string with blanks).
func (sw *Switch) originate(ctx context.Context, arg string) string {
	a := separateString(arg, ' ', 10)
	if len(a) < 2 || len(a) > 7 {
		return "-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n"
	}
	dialstring, rest := a[0], a[1]
	var apps []App
	if strings.HasPrefix(rest, "&") && len(rest) > 1 {
		name := rest[1:]
		if i := strings.IndexByte(name, ')'); i >= 0 {
			name = name[:i]
		}
		name, appArg, _ := strings.Cut(name, "(")
		apps = []App{{name, appArg}}
	} else {
		apps = []App{{"transfer", rest}}
	}
	a2, cause := sw.dial(ctx, dialstring, nil, apps, true)
	if a2 == nil {
		return "-ERR " + cause + "\n"
	}
	a2.route()
	return "+OK " + a2.uuid + "\n"
}
