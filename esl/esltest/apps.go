package esltest

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fsstar/fsstar/esl"
	"github.com/google/uuid"
)

// appFunc runs one application; its result is the Application-Response
// ("" becomes "_none_"). ctx ends at hangup, transfer or break of the app.
type appFunc func(ctx context.Context, ch *Channel, arg string) string

// apps are the dialplan applications the simulated switch knows, by name.
// It is filled in init, as apiCommands: apps such as park run the
// channel's queue, which reads the table.
var apps map[string]appFunc

func init() { apps = appTable() }

// appTable makes apps.
func appTable() map[string]appFunc {
	return map[string]appFunc{
		"answer":                 func(_ context.Context, ch *Channel, _ string) string { ch.answer(); return "" },
		"pre_answer":             func(_ context.Context, ch *Channel, _ string) string { ch.progress(true); return "" },
		"ring_ready":             func(_ context.Context, ch *Channel, _ string) string { ch.progress(false); return "" },
		"playback":               appPlayback,
		"endless_playback":       appEndlessPlayback,
		"play_and_get_digits":    appPlayAndGetDigits,
		"read":                   appRead,
		"set":                    appSet,
		"export":                 appExport,
		"unset":                  appUnset,
		"multiset":               appMultiset,
		"sleep":                  appSleep,
		"hangup":                 func(_ context.Context, ch *Channel, arg string) string { ch.Hangup(strings.TrimSpace(arg)); return "" },
		"bridge":                 appBridge,
		"transfer":               appTransfer,
		"park":                   appPark,
		"sched_hangup":           appSchedHangup,
		"sched_transfer":         appSchedTransfer,
		"echo":                   func(ctx context.Context, _ *Channel, _ string) string { <-ctx.Done(); return "" },
		"log":                    appLog,
		"info":                   appInfo,
		"speak":                  appSpeak,
		"say":                    appSay,
		"phrase":                 appPhrase,
		"record":                 appRecord,
		"event":                  appEvent,
		"socket":                 appSocket,
		"flush_dtmf":             func(_ context.Context, ch *Channel, _ string) string { ch.dropDigits(); return "" },
		"play_and_detect_speech": appPlayAndDetectSpeech,
		"detect_speech":          appDetectSpeech,
		"execute_extension":      appExecuteExtension,
		"set_profile_var":        appSetProfileVar,
		"gentones":               appGentones,
		// Apps whose effect the simulated switch does not model.
		"start_dtmf":      appNoop,
		"stop_dtmf":       appNoop,
		"ring_ready_mark": appNoop,
		"privacy":         appNoop,
		"system_noop":     appNoop,
		"hash":            appNoop,
		"db":              appNoop,
		"limit":           appNoop,
	}
}

// appExecuteExtension is execute_extension <ext> [<dialplan>] [<context>]
// (switch_core_session_execute_exten): the extension's apps run in turn on
// the channel, each with its data expanded when it runs. The inline
// dialplan reads ext as inlineApps does; any other finds ext among the
// routes.
func appExecuteExtension(ctx context.Context, ch *Channel, arg string) string {
	a := separateString(arg, ' ', 4)
	gotArgs(ctx, a)
	if len(a) == 0 || a[0] == "" {
		ch.sw.logLine(3, "mod_dptools.c", "Usage: <extension> <dialplan> <context>\n")
		return ""
	}
	var run []App
	if len(a) > 1 && a[1] == "inline" {
		run = inlineApps(a[0])
	} else if r, ok := ch.sw.routeApps(a[0]); ok {
		run = r
	}
	for _, app := range run {
		if ctx.Err() != nil || ch.isHungup() {
			break
		}
		ch.execute(&execution{app: app, uuid: uuid.NewString(), loops: 1})
	}
	return ""
}

// appSetProfileVar is set_profile_var name=value
// (switch_channel_set_profile_var): a caller profile field; an empty value
// makes it blank. The fields the simulated profile has are caller_id_name,
// caller_id_number, callee_id_name, callee_id_number, destination_number
// and context; others are ignored.
func appSetProfileVar(_ context.Context, ch *Channel, arg string) string {
	name, val, _ := strings.Cut(arg, "=")
	if name == "" {
		ch.sw.logLine(3, "mod_dptools.c", "No variable name specified.\n")
		return ""
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	switch strings.ToLower(name) {
	case "caller_id_name":
		ch.prof.cidName = val
	case "caller_id_number":
		ch.prof.cidNum = val
	case "callee_id_name":
		ch.prof.calleeName = val
	case "callee_id_number":
		ch.prof.calleeNum = val
	case "destination_number":
		ch.prof.dest = val
	case "context":
		ch.prof.context = val
	}
	return ""
}

// appGentones is gentones <tone script>[|<loops>]: the tones play, with no
// PLAYBACK events, for the script's length times loops, or until a break
// or hangup with loops -1; keys end it as playback_terminators say
// (mod_dptools' on_dtmf).
func appGentones(ctx context.Context, ch *Channel, arg string) string {
	script, loopsArg, _ := strings.Cut(arg, "|")
	loops := cAtoi(loopsArg)
	if loops == 0 {
		loops = 1
	}
	select { // a break sent before the tones started does not count
	case <-ch.brk:
	default:
	}
	d, _ := ch.sw.mediaDuration("tone_stream://" + script)
	var timer <-chan time.Time
	if loops > 0 && d > 0 {
		t := time.NewTimer(ch.sw.scaled(d * time.Duration(loops)))
		defer t.Stop()
		timer = t.C
		ch.clockWaits(d * time.Duration(loops))
		defer ch.clockWaitDone()
	}
	in := onDTMF(ch)
	for {
		if ch.take(in) {
			return ""
		}
		select {
		case <-timer:
			return ""
		case <-ch.brk:
			return ""
		case <-ctx.Done():
			return ""
		case <-ch.dtmfCh:
		}
	}
}

// appNoop is an app that succeeds and does nothing here.
func appNoop(context.Context, *Channel, string) string { return "" }

// appUnset is unset: the variable named by the data goes.
func appUnset(_ context.Context, ch *Channel, arg string) string {
	ch.vars.unset(strings.TrimSpace(arg))
	return ""
}

// appTransfer is transfer: [-bleg|-both] <dest-exten> [<dialplan>]
// [<context>].
func appTransfer(ctx context.Context, ch *Channel, arg string) string {
	a := separateString(arg, ' ', 4)
	gotArgs(ctx, a)
	if len(a) > 0 && strings.HasPrefix(a[0], "-") { // -bleg / -both
		a = a[1:]
	}
	f := append(a, "", "", "")
	ch.sessionTransfer(f[0], f[1], f[2])
	return ""
}

// appInfo is info: the channel's variables to the log, as CHANNEL_DATA.
func appInfo(_ context.Context, ch *Channel, _ string) string {
	ch.sw.logLine(6, "mod_dptools.c", "CHANNEL_DATA:\n"+string(ch.event("CHANNEL_DATA", "mod_dptools.c", "info_function", 1).MarshalPlain()))
	return ""
}

// appSet is base_set (mod_dptools.c): the name runs to the first '=' (or
// ',' when there is none) and is not trimmed; the value is expanded once
// more; an empty value unsets.
func appSet(ctx context.Context, ch *Channel, arg string) string {
	setVarArg(ctx, ch, arg)
	return ""
}

// setVarArg is the set app's work: "name=value" (or "name,value"), the
// value expanded; an empty value unsets. It returns the name and whether a
// value was set.
func setVarArg(ctx context.Context, ch *Channel, arg string) (string, bool) {
	if arg == "" {
		return "", false
	}
	k, v, ok := strings.Cut(arg, "=")
	if !ok {
		k, v, _ = strings.Cut(arg, ",")
	}
	if v != "" {
		v = ch.sw.expandVars(v, ch, 0)
	}
	gotArgs(ctx, []string{k, v})
	if v == "" {
		ch.vars.unset(k)
		return k, false
	}
	ch.vars.set(k, v)
	return k, true
}

// appExport is the export app (switch_channel_export_variable_var_check):
// it sets the variable as set does, under its name as written (so
// "nolocal:x" stays off the channel's own x), and adds that name to
// export_vars, which originate and bridge copy to new legs.
func appExport(ctx context.Context, ch *Channel, arg string) string {
	k, set := setVarArg(ctx, ch, arg)
	if k == "" || !set {
		return ""
	}
	if old, _ := ch.vars.get("export_vars"); old != "" {
		k = old + "," + k
	}
	ch.vars.set("export_vars", k)
	return ""
}

func appMultiset(ctx context.Context, ch *Channel, arg string) string {
	sep := " "
	if strings.HasPrefix(arg, "^^") && len(arg) > 2 {
		sep = arg[2:3]
		arg = arg[3:]
	}
	for _, kv := range strings.Split(arg, sep) {
		if kv != "" {
			appSet(ctx, ch, kv)
		}
	}
	return ""
}

// appPlayback plays a file; its input callback is on_dtmf: every digit is
// taken, and one in playback_terminators (default "*") stops it.
func appPlayback(ctx context.Context, ch *Channel, arg string) string {
	arg = playbackFile(ctx, arg)
	ch.play(ctx, arg, onDTMF(ch))
	return "FILE PLAYED"
}

// appEndlessPlayback plays without input arguments: digits stay queued.
func appEndlessPlayback(ctx context.Context, ch *Channel, arg string) string {
	for ctx.Err() == nil {
		if st, _ := ch.play(ctx, arg, nil); st == "break" {
			break
		}
	}
	return "FILE PLAYED"
}

func atoiDefault(s string, def int) int {
	if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
		return n
	}
	return def
}

// appPlayAndGetDigits: min max tries timeout terminators file invalid_file
// var_name regexp digit_timeout transfer_on_failure; the loop of
// switch_play_and_get_digits around readDigits. On failure the variable
// keeps what the last try typed (unset only when the regexp refused it,
// then <var>_invalid has the digits); read_result is "failure".
func appPlayAndGetDigits(ctx context.Context, ch *Channel, arg string) string {
	a := separateString(arg, ' ', 11)
	gotArgs(ctx, a)
	for len(a) < 11 {
		a = append(a, "")
	}
	minD, maxD := max(cAtoi(a[0]), 0), max(cAtoi(a[1]), 0)
	tries := max(cAtoi(a[2]), 0)
	timeout := time.Duration(max(cAtoi(a[3]), 0)) * time.Millisecond
	terms := a[4]
	if terms == "" {
		terms = "#"
	}
	file, invalid, varName, regex := a[5], a[6], a[7], a[8]
	digitTimeout := time.Duration(max(cAtoi(a[9]), 0)) * time.Millisecond
	var re *regexp.Regexp
	if regex != "" {
		re, _ = regexp.Compile(regex)
		if varName != "" {
			ch.vars.unset(varName + "_invalid")
		}
	}
	for ; tries > 0 && ctx.Err() == nil; tries-- {
		digits, status := readDigits(ctx, ch, minD, maxD, file, varName, timeout, terms, digitTimeout)
		if status == readTimeout && len(digits) >= minD {
			status = readSuccess
		}
		if minD == 0 && digits == "" && ch.Var("read_terminator_used") != "" {
			return ""
		}
		if status == readSuccess && digits != "" {
			if re == nil || re.MatchString(digits) {
				return ""
			}
			if varName != "" {
				ch.vars.unset(varName)
				ch.vars.set(varName+"_invalid", digits)
			}
		}
		if ctx.Err() != nil {
			break
		}
		if invalid != "" {
			ch.play(ctx, invalid, nil)
		}
	}
	if a[10] != "" && ctx.Err() == nil {
		f := append(separateString(a[10], ' ', 3), "", "", "") // "<ext> [<dialplan> [<context>]]"
		ch.sessionTransfer(f[0], f[1], f[2])
	}
	return ""
}

// appRead: min max file var_name timeout terminators digit_timeout.
func appRead(ctx context.Context, ch *Channel, arg string) string {
	a := separateString(arg, ' ', 7)
	gotArgs(ctx, a)
	for len(a) < 7 {
		a = append(a, "")
	}
	minD, maxD := max(cAtoi(a[0]), 0), max(cAtoi(a[1]), 0)
	timeout := time.Duration(max(cAtoi(a[4]), 0)) * time.Millisecond
	terms := a[5]
	if terms == "" {
		terms = "#"
	}
	digitTimeout := time.Duration(max(cAtoi(a[6]), 0)) * time.Millisecond
	readDigits(ctx, ch, minD, maxD, a[2], a[3], timeout, terms, digitTimeout)
	return ""
}

// The outcomes of readDigits, as read_result spells them.
const (
	readSuccess = "success"
	readTimeout = "timeout"
	readFailure = "failure"
)

// readDigits is switch_ivr_read: read_result and the variable are unset;
// the prompt plays and the first digit typed during it stops it and is
// kept; then digits are collected (the first within timeout, or
// digitTimeout once there are some, the next ones within digitTimeout) up
// to max or a terminator. Fewer than min digits is a failure; a timeout
// with enough digits is "timeout". The variable is set only when digits
// were read. It returns the digits and the read_result.
func readDigits(ctx context.Context, ch *Channel, minD, maxD int, file, varName string, timeout time.Duration, terms string, digitTimeout time.Duration) (string, string) {
	if digitTimeout == 0 {
		digitTimeout = timeout
	}
	maxD = max(maxD, minD)
	ch.vars.unset("read_result")
	if varName != "" {
		ch.vars.unset(varName)
	}
	var buf []rune
	if file != "" && !strings.EqualFold(file, "silence") {
		ch.play(ctx, file, intoBuffer(&buf))
	}
	termRequired := strings.HasPrefix(terms, "=")
	status := readSuccess
	var term rune
	if len(buf) < minD || len(buf) < maxD {
		wait := timeout
		if len(buf) > 0 {
			wait = digitTimeout
		}
		var err error
		buf, term, err = ch.collectCount(ctx, buf, maxD, terms, wait, digitTimeout)
		switch {
		case ctx.Err() != nil:
			status = readFailure
		case err != nil:
			status = readTimeout
		}
	}
	if term != 0 {
		ch.vars.set("read_terminator_used", string(term))
		if p := strings.IndexRune(terms, term); p >= 1 && (terms[p-1] == '+' || terms[p-1] == 'x') {
			buf = append(buf, term)
		}
	} else if termRequired {
		status = readFailure
	}
	if len(buf) < minD {
		status = readFailure
	}
	ch.vars.set("read_result", status)
	if maxD == 1 && len(buf) == 1 && strings.ContainsRune(terms, buf[0]) {
		buf = nil
	}
	digits := string(buf)
	if varName != "" && digits != "" {
		ch.vars.set(varName, digits)
	}
	return digits, status
}

// timedMedia simulates media the switch renders (speech, say, phrases,
// recording): it takes d, or the file duration when d is 0, and stops on
// hangup, uuid_break, or when in stops it (on_dtmf: a terminator). It
// returns how long it ran, in simulated time.
func timedMedia(ctx context.Context, ch *Channel, d time.Duration, in *input) time.Duration {
	if d <= 0 {
		d = ch.sw.opts.fileDuration
	}
	select {
	case <-ch.brk:
	default:
	}
	t := time.NewTimer(ch.sw.scaled(d))
	defer t.Stop()
	ch.clockWaits(d)
	defer ch.clockWaitDone()
	start := time.Now()
loop:
	for !ch.take(in) {
		select {
		case <-t.C:
			break loop
		case <-ctx.Done():
			break loop
		case <-ch.brk:
			break loop
		case <-ch.dtmfCh:
		case <-ch.evCh:
		}
	}
	return time.Duration(float64(time.Since(start)) / ch.sw.opts.scale)
}

// playbackFile is how the playback app reads its data: "file[@@sample]",
// cut at the first '@' only when a second one follows it.
func playbackFile(ctx context.Context, arg string) string {
	file, sample := arg, ""
	if i := strings.IndexByte(arg, '@'); i >= 0 && i+1 < len(arg) && arg[i+1] == '@' {
		file, sample = arg[:i], arg[i+2:]
	}
	if sample != "" {
		gotArgs(ctx, []string{file, sample})
	} else {
		gotArgs(ctx, []string{file})
	}
	return file
}

// appSay: "<module>[:<lang>] <type> <method> [<gender>] <text>", split on
// blanks into at most 5 arguments; with 4 the last is the text.
func appSay(ctx context.Context, ch *Channel, arg string) string {
	a := separateString(arg, ' ', 5)
	gotArgs(ctx, a)
	if len(a) != 4 && len(a) != 5 {
		ch.sw.logLine(3, "mod_dptools.c", "Usage: <module_name>[:<lang>] <say_type> <say_method> [<say_gender>] <text>\n")
		return ""
	}
	timedMedia(ctx, ch, 0, onDTMF(ch))
	return ""
}

// appPhrase: "<macro>[,<data>]", the data untouched after the first ','.
func appPhrase(ctx context.Context, ch *Channel, arg string) string {
	macro, data, ok := strings.Cut(arg, ",")
	if ok {
		gotArgs(ctx, []string{macro, data})
	} else {
		gotArgs(ctx, []string{macro})
	}
	timedMedia(ctx, ch, 0, onDTMF(ch))
	return ""
}

// appSpeak: "[[<engine>|]<voice>|]<text>", split on '|' into at most 3;
// the text is taken unstripped from the data. Without an engine and a voice
// (from the data or the tts_engine / tts_voice variables) the switch logs
// "Invalid Params!" and hangs the call up with DESTINATION_OUT_OF_ORDER.
func appSpeak(ctx context.Context, ch *Channel, arg string) string {
	if arg == "" {
		ch.sw.logLine(3, "mod_dptools.c", "Invalid Params!\n")
		return ""
	}
	a := separateString(arg, '|', 3)
	var engine, voice, text string
	switch len(a) {
	case 1:
		text = arg
	case 2:
		voice, text = a[0], arg[speakTextOffset(arg, 1):]
	default:
		engine, voice, text = a[0], a[1], arg[speakTextOffset(arg, 2):]
	}
	gotArgs(ctx, []string{engine, voice, text})
	if engine == "" {
		engine = ch.Var("tts_engine")
	}
	if voice == "" {
		voice = ch.Var("tts_voice")
	}
	if engine == "" || voice == "" || text == "" {
		ch.sw.logLine(3, "mod_dptools.c", fmt.Sprintf("Invalid Params! [%s][%s][%s]\n", orNULL(engine), orNULL(voice), orNULL(text)))
		ch.Hangup("DESTINATION_OUT_OF_ORDER")
		return ""
	}
	timedMedia(ctx, ch, 0, onDTMF(ch))
	return ""
}

// speakTextOffset is speak_function's "data + (argv[k] - argv[0])": where
// argument k starts (after its leading blanks), counted from where
// argument 0 starts.
func speakTextOffset(arg string, k int) int {
	b := []byte(arg)
	if len(b) > 3 && b[0] == '^' && b[1] == '^' {
		return 0 // a changed delimiter: not simulated
	}
	starts := splitChar(b, '|', 3)
	at := func(i int) int {
		p := starts[i]
		for p < len(b) && b[p] == ' ' {
			p++
		}
		return p
	}
	return min(max(at(k)-at(0), 0), len(arg))
}

func orNULL(s string) string {
	if s == "" {
		return "NULL"
	}
	return s
}

// appRecord: "<path> [+]<time_limit_secs> <silence_thresh> <silence_hits>",
// split on blanks.
func appRecord(ctx context.Context, ch *Channel, arg string) string {
	a := separateString(arg, ' ', 4)
	gotArgs(ctx, a)
	if len(a) == 0 {
		ch.sw.logLine(3, "mod_dptools.c", "No file specified.\n")
		return ""
	}
	var limit time.Duration
	if len(a) > 1 {
		limit = time.Duration(max(cAtoi(strings.TrimPrefix(a[1], "+")), 0)) * time.Second
	}
	secs := timedMedia(ctx, ch, limit, onDTMF(ch)).Seconds()
	ch.vars.set("record_seconds", strconv.Itoa(int(secs)))
	ch.vars.set("record_ms", strconv.Itoa(int(secs*1000)))
	return ""
}

// appPark parks the channel: queued sendmsg executes run until hangup or
// transfer.
func appPark(ctx context.Context, ch *Channel, _ string) string {
	ch.sw.publish(ch.event("CHANNEL_PARK", "switch_ivr.c", "switch_ivr_park", 998))
	ch.mu.Lock()
	ch.parks++
	ch.mu.Unlock()
	ch.serveQueue(ctx, nil, true)
	ch.sw.publish(ch.event("CHANNEL_UNPARK", "switch_ivr.c", "switch_ivr_park", 1179))
	return ""
}

// appLog: "[LEVEL] message".
func appLog(_ context.Context, ch *Channel, arg string) string {
	level := 7
	first, rest, _ := strings.Cut(arg, " ")
	if n, ok := esl.ParseLogLevel(first); ok {
		level = n
		arg = rest
	}
	ch.sw.log.Info("log app", "uuid", ch.uuid, "message", arg)
	ch.sw.logLine(level, "mod_dptools.c", arg+"\n")
	return ""
}

// appEvent fires an event: "Event-Name=CUSTOM,Event-Subclass=a::b,k=v".
func appEvent(_ context.Context, ch *Channel, arg string) string {
	name, sub := "CUSTOM", ""
	var extra esl.Headers
	for _, kv := range strings.Split(arg, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "Event-Name":
			name = v
		case "Event-Subclass":
			sub = v
		default:
			extra.Add(strings.TrimSpace(k), v)
		}
	}
	ev := ch.event(name, "mod_dptools.c", "event_function", 1208)
	if sub != "" {
		ev.Headers = append(esl.Headers{ev.Headers[0], {Name: "Event-Subclass", Value: sub}}, ev.Headers[1:]...)
	}
	ev.Headers = append(ev.Headers, extra...)
	ch.sw.publish(ev)
	return ""
}

// appBridge originates the dial string and bridges the channel to it until
// either side hangs up.
func appBridge(ctx context.Context, ch *Channel, arg string) string {
	other, cause := ch.sw.dial(ctx, arg, [][2]string{{"bridge_to", ch.uuid}}, []App{{Name: "park"}}, false)
	if other == nil {
		ch.vars.set("originate_disposition", cause)
		ch.vars.set("DIALSTATUS", cause)
		return ""
	}
	ch.answer()
	ch.link(other)
	select {
	case <-ctx.Done():
	case <-other.ctx.Done():
	}
	ch.vars.unset("bridge_to")
	other.vars.unset("bridge_to")
	return ""
}

// link bridges two channels: CHANNEL_BRIDGE now, CHANNEL_UNBRIDGE and a
// hangup of the other leg when one of them hangs up.
func (ch *Channel) link(other *Channel) {
	ch.mu.Lock()
	ch.bridged = other
	ch.mu.Unlock()
	other.mu.Lock()
	other.bridged = ch
	other.mu.Unlock()
	ch.vars.set("bridge_uuid", other.uuid)
	other.vars.set("bridge_uuid", ch.uuid)
	ev := ch.event("CHANNEL_BRIDGE", "switch_ivr_bridge.c", "audio_bridge_on_exchange_media", 825)
	ev.Headers.Add("variable_bridge_to", other.uuid)
	ev.Headers.Add("Bridge-A-Unique-ID", ch.uuid)
	ev.Headers.Add("Bridge-B-Unique-ID", other.uuid)
	ch.sw.publish(ev)
	// bridge_to is set on both legs while the bridge lasts
	// (switch_ivr_bridge.c, SWITCH_BRIDGE_VARIABLE), once CHANNEL_BRIDGE
	// went out, as switch_ivr_multi_threaded_bridge does: whoever reads it
	// (a test about to hang a leg up) knows the event came first.
	ch.vars.set("bridge_to", other.uuid)
	other.vars.set("bridge_to", ch.uuid)
}

// logLine sends a log/data frame to every connection that asked for logs
// at that level.
func (sw *Switch) logLine(level int, file, text string) {
	names := []string{"CONSOLE", "ALERT", "CRIT", "ERR", "WARNING", "NOTICE", "INFO", "DEBUG"}
	now := time.Now().Format("2006-01-02 15:04:05.000000")
	body := fmt.Sprintf("%s 100.00%% [%s] %s:1 %s", now, names[level], file, text)
	h := esl.Headers{
		{Name: "Content-Type", Value: esl.TypeLogData},
		{Name: "Content-Length", Value: strconv.Itoa(len(body))},
		{Name: "Log-Level", Value: strconv.Itoa(level)},
		{Name: "Text-Channel", Value: "3"},
		{Name: "Log-File", Value: file},
		{Name: "Log-Func", Value: "esltest"},
		{Name: "Log-Line", Value: "1"},
		{Name: "User-Data", Value: ""},
	}
	raw := esl.AppendFrame(nil, h, []byte(body))
	sw.mu.Lock()
	var conns []*conn
	for c := range sw.conns {
		conns = append(conns, c)
	}
	sw.mu.Unlock()
	sort.Slice(conns, func(i, j int) bool { return conns[i].id < conns[j].id })
	for _, c := range conns {
		c.mu.Lock()
		ok := c.sub.logLevel >= level
		c.mu.Unlock()
		if ok {
			c.push(qitem{raw: raw})
		}
	}
}

// The simulated switch has no ASR engine, as the test FreeSWITCH: speech
// detection fails the way the switch's does without one.

// appPlayAndDetectSpeech is play_and_detect_speech "<file> detect:<engine>
// <grammar>": detect_speech_result is cleared, the engine is not found
// (nothing is played) and current_application_response says so.
func appPlayAndDetectSpeech(ctx context.Context, ch *Channel, arg string) string {
	ch.vars.unset("detect_speech_result")
	file, detect, ok := strings.Cut(arg, "detect:")
	a := separateString(detect, ' ', 2)
	if !ok || len(a) != 2 {
		ch.sw.logLine(3, "mod_dptools.c", "Usage: <file> detect:<engine> {param1=val1,param2=val2}<grammar>")
		ch.vars.set("current_application_response", "USAGE ERROR")
		return ""
	}
	gotArgs(ctx, []string{strings.TrimSpace(file), a[0], a[1]})
	ch.sw.logLine(3, "switch_core_asr.c", "Invalid ASR module ["+a[0]+"]!")
	ch.vars.set("current_application_response", "ASR INIT ERROR")
	return ""
}

// appDetectSpeech is detect_speech: starting (engine grammar name [path])
// fails as no engine is found; the other forms have nothing to act on.
func appDetectSpeech(ctx context.Context, ch *Channel, arg string) string {
	a := separateString(arg, ' ', 4)
	gotArgs(ctx, a)
	if len(a) == 0 {
		ch.sw.logLine(3, "mod_dptools.c", "Usage: <mod_name> <gram_name> <gram_path> [<addr>] OR grammar <gram_name> [<path>] OR pause OR resume")
		return ""
	}
	switch strings.ToLower(a[0]) {
	case "grammar", "nogrammar", "grammaron", "grammaroff", "grammarsalloff", "init", "pause", "resume", "stop", "param",
		"start-input-timers", "start_input_timers":
	default:
		if len(a) >= 3 {
			ch.sw.logLine(3, "switch_core_asr.c", "Invalid ASR module ["+a[0]+"]!")
		}
	}
	return ""
}
