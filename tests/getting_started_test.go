package tests

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fsstar/fsstar/esl"
	"github.com/fsstar/fsstar/internal/testutil"
)

// The addresses conf/dialplan-fsstar.xml and conf/fsstar.conf.xml point the
// switch at, and the file name docs/getting-started.md installs the dialplan
// snippet under.
const (
	gsListen   = "127.0.0.1:8040"
	gsHTTP     = "127.0.0.1:8041"
	gsSnippet  = "dialplan-fsstar.xml"
	gsCallWait = 90 * time.Second // a vanilla switch sleeps 10 s per call while default_password is 1234
)

// TestGettingStartedFreeSWITCH follows docs/getting-started.md word for word
// on a real switch on this host: it copies conf/dialplan-fsstar.xml into
// <FSSTAR_FS_PREFIX>/conf/dialplan/default/, runs reloadxml, checks the
// fallback while fsstar is down, starts `fsstar serve -config
// conf/fsstar.conf.xml` from the repository's root, and places the
// documented loopback calls of steps 5 and 6: 7001 (ivr.main::night), 7000
// (ivr.main with "sales 3"), the fs_cli curl and 7002 (fsapi through
// mod_curl). The snippet is removed and reloadxml run again at the end.
func TestGettingStartedFreeSWITCH(t *testing.T) {
	addr, pw := realSwitch(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := dialSwitch(ctx, t, addr, pw) // closed after the cleanups below, which use it
	conf := switchConfDir(ctx, t, c, addr)

	// Step 2: the modules the calls below need.
	for _, m := range []string{"mod_event_socket", "mod_commands", "mod_dptools", "mod_loopback", "mod_curl"} {
		if out, err := c.API(ctx, "module_exists "+m); err != nil || strings.TrimSpace(out) != "true" {
			t.Fatalf("module_exists %s: %q %v: docs/getting-started.md step 2 loads it (fs_cli -x 'load %s')", m, out, err, m)
		}
	}
	// The snippet sends calls to fixed addresses: nothing else may hold them.
	for _, a := range []string{gsListen, gsHTTP} {
		l, err := net.Listen("tcp", a)
		if err != nil {
			t.Fatalf("%s is taken (%v): conf/dialplan-fsstar.xml points the switch at fsstar on %s and %s; stop what listens there (another fsstar serve?) and run again", a, err, gsListen, gsHTTP)
		}
		l.Close()
	}

	// Step 3: cp conf/dialplan-fsstar.xml <conf>/dialplan/default/, reloadxml.
	installSnippet(ctx, t, c, conf)

	// The fallback: fsstar is not running yet, so the socket app fails and
	// the dialplan goes on to fsstar_fallback.
	t.Run("fallback while fsstar is down", func(t *testing.T) {
		call := placeDocCall(ctx, t, addr, pw, c, "7001", "")
		call.wantApps(t, "set:fsstar_app=ivr.main::night", "socket:127.0.0.1:8040 async full",
			"transfer:fsstar_fallback XML default", "answer:", "playback:ivr/ivr-call_cannot_be_completed_as_dialed.wav",
			"hangup:NORMAL_TEMPORARY_FAILURE")
		call.wantCause(t, "NORMAL_TEMPORARY_FAILURE")
	})
	if t.Failed() {
		t.FailNow()
	}

	// Step 4: fsstar serve -config conf/fsstar.conf.xml, from the root.
	s := startDocService(ctx, t, addr, pw)

	t.Run("7001 module::function", func(t *testing.T) {
		call := placeDocCall(ctx, t, addr, pw, c, "7001", "")
		call.wantApps(t, "set:fsstar_app=ivr.main::night", "socket:127.0.0.1:8040 async full",
			"answer:", "playback:ivr/ivr-office_hours.wav")
		call.wantNoApp(t, "transfer")
		// session.hangup() is the switch's own hangup, as mod_lua's: no
		// hangup app runs; the cause below is the script's.
		call.wantNoApp(t, "hangup")
		call.wantCause(t, "NORMAL_CLEARING")
		call.wantVar(t, "ivr_choice", "closed")
		waitMetric(t, s, `fsstar_calls_total{outcome="ok"}`, "1")
		waitMetric(t, s, `fsstar_entry_calls_total{entry="handler"}`, "1")
	})

	t.Run("7000 handler with args", func(t *testing.T) {
		// Nobody presses a digit: after 3 tries (the "3" of "sales 3") the
		// script says goodbye and hangs up.
		call := placeDocCall(ctx, t, addr, pw, c, "7000", "")
		call.wantApps(t, "set:fsstar_app=ivr.main sales 3", "socket:127.0.0.1:8040 async full",
			"answer:", "playback:ivr/ivr-welcome.wav", "play_and_get_digits:1 1 3 5000 # ivr/ivr-menu.wav",
			"playback:ivr/ivr-thank_you_for_calling.wav")
		call.wantNoApp(t, "hangup")
		call.wantCause(t, "NORMAL_CLEARING")
		call.wantVar(t, "ivr_department", "sales")
		waitMetric(t, s, `fsstar_calls_total{outcome="ok"}`, "2")
		waitMetric(t, s, `fsstar_entry_calls_total{entry="handler"}`, "2")
		if !strings.Contains(s.logs.String(), "ivr sales: no choice after 3 tries") {
			t.Errorf("fsstar's log lacks the script's consoleLog line %q", "ivr sales: no choice after 3 tries")
		}
	})

	t.Run("step 6 curl from fs_cli", func(t *testing.T) {
		out, err := c.API(ctx, "curl http://"+gsHTTP+"/api/examples.tools?greet%201000")
		if err != nil || out != "Hello, 1000!" {
			t.Errorf("curl: %q %v, want %q", out, err, "Hello, 1000!")
		}
	})

	t.Run("7002 fsapi through mod_curl", func(t *testing.T) {
		before, _ := strconv.Atoi(metric(t, s, `fsstar_entry_calls_total{entry="fsapi"}`))
		call := placeDocCall(ctx, t, addr, pw, c, "7002", "origination_caller_id_number=1000")
		call.wantApps(t, "answer:", "set:greeting=Hello, 1000!", "log:INFO fsstar said: Hello, 1000!",
			"sleep:1000", "hangup:NORMAL_CLEARING")
		call.wantVar(t, "greeting", "Hello, 1000!")
		waitMetric(t, s, `fsstar_entry_calls_total{entry="fsapi"}`, strconv.Itoa(before+1))
	})
}

// switchConfDir returns <FSSTAR_FS_PREFIX>/conf (default /opt/fsstar-fs)
// after checking that it is the configuration of the switch at addr (same
// host, same conf_dir) and that the test may write in its
// dialplan/default/; otherwise it skips saying why.
func switchConfDir(ctx context.Context, t *testing.T, c *esl.Client, addr string) string {
	t.Helper()
	prefix := os.Getenv("FSSTAR_FS_PREFIX")
	if prefix == "" {
		prefix = "/opt/fsstar-fs"
	}
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
		t.Skipf("FSSTAR_TEST_FREESWITCH=%s is not on this host: this test installs conf/dialplan-fsstar.xml into the switch's own conf directory", addr)
	}
	conf := filepath.Join(prefix, "conf")
	out, err := c.API(ctx, "global_getvar conf_dir")
	if err != nil {
		t.Fatalf("global_getvar conf_dir: %v", err)
	}
	same := func(a, b string) bool {
		ra, errA := filepath.EvalSymlinks(a)
		rb, errB := filepath.EvalSymlinks(b)
		return errA == nil && errB == nil && ra == rb
	}
	if switchConf := strings.TrimSpace(out); !same(switchConf, conf) {
		t.Skipf("the switch at %s reads its configuration from %q, not %s: set FSSTAR_FS_PREFIX to its install prefix", addr, switchConf, conf)
	}
	dir := filepath.Join(conf, "dialplan", "default")
	probe, err := os.CreateTemp(dir, ".fsstar-write-probe-")
	if err != nil {
		t.Skipf("cannot write in %s (%v): this test installs conf/dialplan-fsstar.xml there", dir, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	return conf
}

// installSnippet copies conf/dialplan-fsstar.xml into conf/dialplan/default/
// and runs reloadxml; the cleanup removes it and runs reloadxml again.
func installSnippet(ctx context.Context, t *testing.T, c *esl.Client, conf string) {
	t.Helper()
	src, err := os.ReadFile("../conf/dialplan-fsstar.xml")
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(conf, "dialplan", "default", gsSnippet)
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		t.Fatalf("%s exists already: someone installed the snippet (or a killed run left it); remove it, run reloadxml, and run again", dst)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.Remove(dst); err != nil {
			t.Errorf("removing %s: %v", dst, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if out, err := c.API(ctx, "reloadxml"); err != nil {
			t.Errorf("reloadxml after removing %s: %q %v", dst, out, err)
		}
	})
	_, err = f.Write(src)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if out, err := c.API(ctx, "reloadxml"); err != nil || !strings.HasPrefix(out, "+OK") {
		t.Fatalf("reloadxml: %q %v", out, err)
	}
}

// startDocService runs `fsstar serve -config conf/fsstar.conf.xml` from the
// repository's root, as docs/getting-started.md step 3 does, and waits until
// it is connected to the switch. The ESL address and password are given as
// flags only when they differ from the configuration file's.
func startDocService(ctx context.Context, t *testing.T, addr, pw string) *service {
	t.Helper()
	args := []string{"serve", "-config", "conf/fsstar.conf.xml"}
	if addr != "127.0.0.1:8021" {
		args = append(args, "-esl-address", addr)
	}
	if pw != "ClueCon" {
		args = append(args, "-esl-password", pw)
	}
	s := &service{logs: &testutil.SyncBuffer{}, listen: gsListen, http: gsHTTP, scripts: "scripts", exited: make(chan error, 1)}
	runService(t, s, "..", args)
	return s
}

// docCall is what the switch saw of the loopback leg that ran the dialplan
// extension: the apps it started, in order, and its CHANNEL_HANGUP_COMPLETE.
type docCall struct {
	ext    string
	apps   []string // "name:data"
	hangup *esl.Event
}

// placeDocCall places `originate {vars}loopback/<ext>/default &park`, the
// call of docs/getting-started.md, and follows the loopback leg that runs
// the extension (its other_loopback_leg_uuid is the originated leg) until
// it hangs up.
func placeDocCall(ctx context.Context, t *testing.T, addr, pw string, c *esl.Client, ext, vars string) *docCall {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, gsCallWait)
	defer cancel()
	// One connection for this call's events, filtered to its leg.
	ec, err := esl.Dial(ctx, addr, esl.WithPassword(pw))
	if err != nil {
		t.Fatal(err)
	}
	defer ec.Close()
	a := uuid.NewString()
	if err := ec.Filter(ctx, "variable_other_loopback_leg_uuid", a); err != nil {
		t.Fatal(err)
	}
	// CHANNEL_EXECUTE, not _COMPLETE: the socket app completes after the
	// apps fsstar runs inside it.
	events := ec.Listen(esl.Match{Names: []string{"CHANNEL_EXECUTE", "CHANNEL_HANGUP_COMPLETE"}, Buffer: 1024})
	defer events.Close()
	if err := ec.Subscribe(ctx, "CHANNEL_EXECUTE", "CHANNEL_HANGUP_COMPLETE"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c.API(ctx, "uuid_kill "+a) // the call normally ended already
	})
	all := "origination_uuid=" + a
	if vars != "" {
		all += "," + vars
	}
	// originate returns once the far leg answers; when that leg hangs up at
	// once (the fallback with no sound files) it reports the cause instead.
	cmd := "originate {" + all + "}loopback/" + ext + "/default &park"
	if out, err := c.API(ctx, cmd); err != nil && !strings.Contains(err.Error(), "NORMAL_") {
		t.Fatalf("%s: %q %v", cmd, out, err)
	}
	call := &docCall{ext: ext}
	for call.hangup == nil {
		ev, err := events.Next(ctx)
		if err != nil {
			t.Fatalf("%s: waiting for the loopback/%s-b leg to hang up: %v (apps so far: %q)", cmd, ext, err, call.apps)
		}
		if ev.Name() == "CHANNEL_HANGUP_COMPLETE" {
			call.hangup = ev
			continue
		}
		call.apps = append(call.apps, ev.Get("Application")+":"+ev.Get("Application-Data"))
	}
	return call
}

// wantApps checks that the leg started apps in this order (others may come
// between); each is "name:data prefix".
func (d *docCall) wantApps(t *testing.T, want ...string) {
	t.Helper()
	i := 0
	for _, got := range d.apps {
		if i < len(want) && strings.HasPrefix(got, want[i]) {
			i++
		}
	}
	if i < len(want) {
		t.Errorf("extension %s: the switch did not run %q (apps run in order: %q)", d.ext, want[i], d.apps)
	}
}

// wantNoApp checks that the leg never ran app.
func (d *docCall) wantNoApp(t *testing.T, app string) {
	t.Helper()
	for _, got := range d.apps {
		if strings.HasPrefix(got, app+":") {
			t.Errorf("extension %s: the switch ran %q (apps run: %q)", d.ext, got, d.apps)
		}
	}
}

// wantCause checks the leg's hangup cause.
func (d *docCall) wantCause(t *testing.T, cause string) {
	t.Helper()
	if got := d.hangup.Get("Hangup-Cause"); got != cause {
		t.Errorf("extension %s: hangup cause %q, want %q", d.ext, got, cause)
	}
}

// wantVar checks a channel variable of the leg at hangup.
func (d *docCall) wantVar(t *testing.T, name, value string) {
	t.Helper()
	if got := d.hangup.Variable(name); got != value {
		t.Errorf("extension %s: %s=%q at hangup, want %q", d.ext, name, got, value)
	}
}

// waitMetric waits up to 5 s for fsstar's metric name to read value: the
// switch reports the hangup before fsstar has counted the call.
func waitMetric(t *testing.T, s *service, name, value string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := metric(t, s, name)
		if got == value {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("fsstar metric %s = %q, want %q", name, got, value)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}
