package startest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/fsstar/fsstar/esl/esltest"
	"github.com/fsstar/fsstar/server"
	"github.com/google/uuid"
)

// DemoOptions configures Demo.
type DemoOptions struct {
	// Scripts is the script directory (the repository's scripts/).
	Scripts string
	// Scale is the simulated switch's time scale (0: 0.05, fast but
	// readable).
	Scale float64
	// Out receives the narration.
	Out io.Writer
}

// Demo starts a simulated FreeSWITCH and an fsstar server over the example
// scripts, places a few calls and HTTP requests the way FreeSWITCH would, and
// narrates each step for someone who has never seen FreeSWITCH. It returns an
// error only when the demo itself cannot run; a failing script is narrated.
func Demo(o DemoOptions) error {
	if o.Scale <= 0 {
		o.Scale = 0.05
	}
	p := &narrator{out: o.Out}
	env, err := NewEnv(o.Scripts, EnvOptions{Scale: o.Scale, Config: func(c *server.Config) {
		c.XMLHandlerScript = "examples.xml_gen"
		c.XMLHandlerBindings = []string{"dialplan", "directory"}
		c.Park = true // the last call comes parked
	}})
	if err != nil {
		return err
	}
	defer env.Close()
	// The menu's extensions, as a dialplan would have them: here each one
	// answers with a prompt and hangs up.
	for _, ext := range []string{"1001", "1002", "1003", "operator"} {
		env.Switch.RouteApps(ext, esltest.App{Name: "playback", Arg: "ivr/ivr-hold_connect_call.wav"}, esltest.App{Name: "hangup", Arg: "NORMAL_CLEARING"})
	}
	stop := env.Subscribe(func(l LogLine) {
		if l.FSLevel != "" {
			p.say(l.ID, "  script logs: %s", strings.TrimSpace(l.Msg))
		} else if l.IsScriptError() {
			p.say(l.ID, "  script error: %s", l.Text())
		}
	})
	defer stop()

	p.printf("fsstar demo: a simulated FreeSWITCH (ESL on %s) hands calls to fsstar (outbound socket %s, HTTP %s).\n",
		env.Switch.Addr(), env.Server.Addr(), env.Server.HTTPAddr())
	p.printf("Each call runs a script from %s. Simulated time runs %gx faster.\n\n", o.Scripts, 1/o.Scale)

	calls := []struct {
		title, module string
		vars          map[string]string
		dtmf          []press
		park          bool
	}{
		{"the night greeting: answer, play a prompt, hang up", "ivr.main::night", nil, nil, false},
		{"the IVR menu: the caller presses 2 for support", "ivr.main sales 3", map[string]string{"caller_id_number": "1000"}, []press{{2500 * time.Millisecond, "2"}}, false},
		{"a hangup hook: the call is written to SQLite when it ends", "examples.call_logger", map[string]string{"call_log_dsn": "sqlite://:memory:", "destination_number": "5000"}, nil, false},
		{"caller-name lookup from a CSV file, then back to the dialplan", "examples.caller_name", map[string]string{"caller": "1001"}, nil, false},
		{"park mode: the dialplan parks the call, fsstar claims it over its inbound connection (docs/park-mode.md)", "ivr.main::night", nil, nil, true},
	}
	for i, c := range calls {
		p.printf("# %s\n", c.title)
		if c.park {
			if err := waitParkReady(env); err != nil {
				return err
			}
		}
		if err := demoCall(env, p, i+1, c.module, c.vars, c.dtmf, c.park); err != nil {
			return err
		}
		p.printf("\n")
	}

	// xml_fetch, posted as mod_xml_curl posts it.
	p.printf("xml_curl: FreeSWITCH asks fsstar for the dialplan of destination 1001 (POST /xml, as mod_xml_curl does)\n")
	form := url.Values{}
	for k, v := range map[string]string{
		"hostname": "demo", "section": "dialplan", "tag_name": "", "key_name": "", "key_value": "",
		"Event-Name": "REQUEST_PARAMS", "Core-UUID": env.Switch.CoreUUID(), "Hunt-Context": "default",
		"Caller-Context": "default", "Caller-Destination-Number": "1001", "Caller-Caller-ID-Number": "1000",
	} {
		form.Set(k, v)
	}
	body, err := httpDo(http.MethodPost, "http://"+env.Server.HTTPAddr()+"/xml", form.Encode())
	if err != nil {
		return err
	}
	for _, l := range strings.Split(strings.TrimSpace(body), "\n") {
		if strings.Contains(l, "<action") || strings.Contains(l, "<extension") {
			p.printf("  answer: %s\n", strings.TrimSpace(l))
		}
	}
	p.printf("\n")

	// fsapi, as ${curl(...)} in a dialplan does.
	p.printf("curl: the dialplan runs ${curl(http://%s/api/examples.tools?greet%%201000)} (GET /api/, as mod_curl does)\n", env.Server.HTTPAddr())
	body, err = httpDo(http.MethodGet, "http://"+env.Server.HTTPAddr()+"/api/examples.tools?greet%201000", "")
	if err != nil {
		return err
	}
	p.printf("  answer: %s\n\n", strings.TrimSpace(body))
	p.printf("That's it. Try `fsstar test scripts` next, then edit scripts/ivr/main.star.\n")
	return nil
}

type press struct {
	at     time.Duration
	digits string
}

// waitParkReady waits until the server's park mode has subscribed
// (/healthz says "park: ready").
func waitParkReady(env *Env) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		body, err := httpDo(http.MethodGet, "http://"+env.Server.HTTPAddr()+"/healthz", "")
		if err == nil && strings.Contains(body, "park: ready") {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("park mode did not start: %v %q", err, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// demoCall places one call (through the socket app, or parked by the
// dialplan when park is set) and narrates it until the server is done
// with it.
func demoCall(env *Env, p *narrator, n int, app string, vars map[string]string, dtmf []press, park bool) error {
	v := map[string]string{env.Server.Config().AppVariable: app}
	opts := []esltest.CallOption{}
	for k, val := range vars {
		v[k] = val
		if k == "destination_number" {
			opts = append(opts, esltest.Destination(val))
		}
	}
	cid := vars["caller_id_number"]
	if cid == "" {
		cid = "1000"
	}
	v["caller_id_number"] = cid
	opts = append(opts, esltest.CallerID("", cid))
	module, _, _ := strings.Cut(app, " ")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Watch the call's uuid before placing it: a quick script logs before
	// PlaceCall returns, and its lines must not be missed.
	id := uuid.NewString()
	p.watch(id)
	p.printf("call %d → %s  (from %s)\n", n, module, cid)
	opts = append(opts, esltest.CallUUID(id))
	var ch *esltest.Channel
	var err error
	if park {
		ch, err = env.Switch.ParkCall(ctx, v, nil, opts...)
	} else {
		ch, err = env.Switch.PlaceCall(ctx, env.Server.Addr(), v, opts...)
	}
	if err != nil {
		return err
	}
	if park {
		p.printf("  the dialplan parked the call; fsstar claimed it (hash insert_ifempty) and drives it over its inbound ESL connection\n")
	}
	var mu sync.Mutex
	shown := 0
	// show narrates the apps completed since the last call, and the
	// transfer when the socket app ends with one.
	show := func() {
		mu.Lock()
		defer mu.Unlock()
		apps := ch.Apps()
		for ; shown < len(apps); shown++ {
			a := apps[shown]
			if a.Name == "park" {
				continue // said when the call was parked
			}
			if a.Name == "socket" {
				if src := ch.Var("transfer_source"); src != "" {
					// <epoch>:<uuid>:bl_xfer:<ext>/<context>/<dialplan>
					dest := src[strings.LastIndex(src, ":")+1:]
					p.printf("  fsstar transferred the call to %s; its dialplan runs now\n", dest)
				}
				continue
			}
			if line := describeApp(a, ch); line != "" {
				p.printf("  %s\n", line)
			}
		}
	}
	p.before(show)
	for _, d := range dtmf {
		// On the call's media clock, as t.call's dtmf: the script's own
		// round trips do not move the press.
		stop := ch.AtAppTime(d.at, func() {
			show()
			p.printf("  caller pressed %s\n", d.digits)
			ch.SendDTMF(d.digits)
		})
		defer stop()
	}
	for {
		select {
		case <-ch.Done():
			show()
			p.printf("  hangup %s\n", ch.HangupCause())
			deadline := time.Now().Add(3 * time.Second)
			for !env.logs.closed(ch.UUID()) && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			p.unwatch(ch.UUID())
			return nil
		case <-ctx.Done():
			ch.Hangup("NORMAL_CLEARING")
			return fmt.Errorf("call %d to %s did not end", n, module)
		case <-time.After(5 * time.Millisecond):
			show()
		}
	}
}

// describeApp says what a dialplan application did, for a newcomer.
func describeApp(a esltest.AppRun, ch *esltest.Channel) string {
	switch a.Name {
	case "socket":
		return ""
	case "answer":
		return "answer"
	case "playback":
		return "playback " + a.Arg
	case "play_and_get_digits":
		f := strings.Fields(a.Arg)
		prompt := ""
		if len(f) > 5 {
			prompt = " " + f[5]
		}
		got := "nothing"
		if len(f) > 7 {
			if d := ch.Var(f[7]); d != "" {
				got = d
			}
		}
		return "menu: play" + prompt + " and collect digits: got " + got
	case "transfer":
		return "transfer to extension " + a.Arg
	case "set":
		return "set " + a.Arg
	case "hangup":
		return ""
	}
	return strings.TrimSpace(a.Name + " " + a.Arg)
}

func httpDo(method, u, form string) (string, error) {
	req, err := http.NewRequest(method, u, strings.NewReader(form))
	if err != nil {
		return "", err
	}
	if form != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("User-Agent", "freeswitch-xml/1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// narrator serializes the demo's output; script log lines are shown only
// for the call being narrated.
type narrator struct {
	mu       sync.Mutex
	out      io.Writer
	current  string
	beforeFn func()
}

func (p *narrator) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, format, args...)
}

// say prints a line about call id if it is the call being narrated, after
// what the call did before it (the before func of watch).
func (p *narrator) say(id, format string, args ...any) {
	p.mu.Lock()
	if id != p.current {
		p.mu.Unlock()
		return
	}
	before := p.beforeFn
	p.mu.Unlock()
	if before != nil {
		before()
	}
	p.printf(format+"\n", args...)
}

// before sets what say calls first for the call being narrated.
func (p *narrator) before(fn func()) {
	p.mu.Lock()
	p.beforeFn = fn
	p.mu.Unlock()
}

func (p *narrator) watch(id string) {
	p.mu.Lock()
	p.current = id
	p.beforeFn = nil
	p.mu.Unlock()
}

func (p *narrator) unwatch(string) { p.watch("") }
