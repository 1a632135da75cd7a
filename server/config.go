package server

import (
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	starhttp "github.com/fsstar/fsstar/builtins/lib/http"
	scriptmetrics "github.com/fsstar/fsstar/builtins/lib/metrics"
	"github.com/fsstar/fsstar/loader"
	"github.com/fsstar/fsstar/membudget"
)

// Config is everything `fsstar serve` can be told. Each field is one param of
// conf/fsstar.conf.xml and one flag of the same name (see Params).
type Config struct {
	ScriptDirs []string
	Listen     string
	HTTPListen string
	// ESLAddress is the first switch's inbound ESL address (the one HTTP
	// entry points and runtime jobs use); ESLAddresses lists every switch
	// this instance serves, ESLAddress first.
	ESLAddress    string
	ESLAddresses  []string
	ESLPassword   string
	AppVariable   string
	DefaultModule string
	OnError       string
	// Park turns park mode on: calls the dialplan parked with the app
	// variable set are claimed and driven over inbound connections.
	Park bool
	// ParkConnections is how many inbound connections drive parked calls.
	ParkConnections int
	// ParkClaimTimeout: a parked call found unclaimed after this long (fsstar
	// was down) gets the on-error policy instead of its script.
	ParkClaimTimeout time.Duration
	// HeartbeatInterval is how often this instance says it is alive on the
	// switch; an instance silent for three intervals is dead.
	HeartbeatInterval  time.Duration
	XMLHandlerScript   string
	XMLHandlerBindings []string
	StartupScripts     []string
	// EventHooks are the event-hook params: "<EVENT>[/<subclass>] <module>[::function]".
	EventHooks []string
	// EventHookConcurrency bounds the event hooks running at once.
	EventHookConcurrency int
	HTTPToken            string
	MaxBodyBytes         int64
	RequestTimeout       time.Duration
	XMLFetchTimeout      time.Duration
	MaxSteps             uint64
	// MaxCallMemoryBytes and MaxScriptMemoryBytes are the memory budgets
	// of one call's script and of all scripts together (package
	// membudget); 0 means no limit.
	MaxCallMemoryBytes   int64
	MaxScriptMemoryBytes int64
	Recursion            bool
	Reload               string
	PollInterval         time.Duration
	DrainTimeout         time.Duration
	HangupGrace          time.Duration
	LogFormat            string
	LogLevel             string

	// StateBackend is where the state module keeps its keys: memory, hash
	// (the first switch's mod_hash) or postgres (StateDSN).
	StateBackend    string
	StateMaxEntries int
	StateDSN        string
	// SMTP* configure freeswitch.email.
	SMTPServer         string
	SMTPUsername       string
	SMTPPassword       string
	SMTPStartTLS       string
	SMTPFrom           string
	SMTPAttachmentDirs []string
	SMTPTimeout        time.Duration

	// HTTPAllowHosts are the http-allow-hosts values: the hosts the
	// scripts' http module may reach (none when empty).
	HTTPAllowHosts       []string
	HTTPTimeout          time.Duration
	HTTPMaxTimeout       time.Duration
	HTTPMaxResponseBytes int64
	HTTPMaxRedirects     int
	// ScriptMetricsMaxNames and ScriptMetricsMaxSeries bound the metrics
	// scripts declare: names per server, label sets per metric.
	ScriptMetricsMaxNames  int
	ScriptMetricsMaxSeries int
}

// Switches returns the inbound ESL addresses of the switches this instance
// serves, ESLAddress first. Code that sets ESLAddress alone (tests, the
// one-shot tools) gets that one switch.
func (c Config) Switches() []string {
	if len(c.ESLAddresses) == 0 || c.ESLAddresses[0] != c.ESLAddress {
		if c.ESLAddress == "" {
			return nil
		}
		return []string{c.ESLAddress}
	}
	return c.ESLAddresses
}

// Param describes one configuration parameter: its name (the same in the XML
// file and as a flag), its default as written in the file, what it does,
// whether it may be given more than once, and whether it is live.
type Param struct {
	Name       string
	Default    string
	Usage      string
	Repeatable bool
	set        func(c *Config, v string) error
	reset      func(c *Config)
	// live copies the param from the new config onto the serving one;
	// set for the params Reconfigure (SIGHUP) applies while serving.
	live func(d *Config, s Config)
}

// Live reports whether Reconfigure (SIGHUP) applies the param while
// serving; any other param needs a restart.
func (p Param) Live() bool { return p.live != nil }

// LiveParams names the params Reconfigure applies while serving (Param.Live),
// in the order of Params.
func LiveParams() []string {
	var out []string
	for _, p := range Params() {
		if p.Live() {
			out = append(out, p.Name)
		}
	}
	return out
}

// Params lists every parameter `fsstar serve` accepts, in the order the docs
// show them. The flag set, the XML loader and docs/configuration.md are all
// made from this one table, so they cannot drift apart.
func Params() []Param {
	return []Param{
		{Name: "script-directory", Default: "scripts", Repeatable: true,
			Usage: "directory of .star modules; repeat for more (first match wins), as in python.conf.xml",
			set:   func(c *Config, v string) error { c.ScriptDirs = append(c.ScriptDirs, v); return nil },
			reset: func(c *Config) { c.ScriptDirs = nil }},
		{Name: "listen", Default: "127.0.0.1:8040",
			Usage: "address of the outbound ESL listener the dialplan `socket` app connects to",
			set:   str(func(c *Config) *string { return &c.Listen })},
		{Name: "http-listen", Default: "127.0.0.1:8041",
			Usage: "address of the HTTP gateway (/api/, /xml, /run/, /metrics, /healthz); empty disables it",
			set:   str(func(c *Config) *string { return &c.HTTPListen })},
		{Name: "esl-address", Default: "127.0.0.1:8021", Repeatable: true,
			Usage: "inbound ESL address of a switch this instance serves (repeat for several switches, all with esl-password): API(), EventConsumer and Session(dest) of a call go to its own switch, park mode takes the parked calls of each; HTTP entry points and runtime jobs use the first",
			set: func(c *Config, v string) error {
				if v == "" {
					return nil
				}
				if c.ESLAddress == "" {
					c.ESLAddress = v
				}
				c.ESLAddresses = append(c.ESLAddresses, v)
				return nil
			},
			reset: func(c *Config) { c.ESLAddress, c.ESLAddresses = "", nil }},
		{Name: "esl-password", Default: "ClueCon",
			Usage: "inbound ESL password (never logged)",
			set:   str(func(c *Config) *string { return &c.ESLPassword })},
		{Name: "app-variable", Default: "fsstar_app",
			live:  func(d *Config, s Config) { d.AppVariable = s.AppVariable },
			Usage: "channel variable naming the module to run and its arguments (`ivr.main arg1 arg2`, `ivr.main::night`)",
			set:   str(func(c *Config) *string { return &c.AppVariable })},
		{Name: "default-module", Default: "",
			live:  func(d *Config, s Config) { d.DefaultModule = s.DefaultModule },
			Usage: "module run for a call whose app variable is unset; empty means such calls take the on-error path",
			set:   str(func(c *Config) *string { return &c.DefaultModule })},
		{Name: "on-error", Default: "hangup:NORMAL_TEMPORARY_FAILURE",
			live:  func(d *Config, s Config) { d.OnError = s.OnError },
			Usage: "what happens to a call whose script is missing or fails: `hangup:<CAUSE>` or `transfer:<extension> [dialplan] [context]`",
			set: func(c *Config, v string) error {
				if _, err := ParseOnError(v); err != nil {
					return err
				}
				c.OnError = v
				return nil
			}},
		{Name: "park", Default: "false",
			Usage: "park mode: also take the calls the dialplan parks with the app variable set (`set fsstar_app=...`, `park`), claimed exactly once among the fsstar instances serving the switch and driven over inbound ESL (docs/park-mode.md)",
			set: func(c *Config, v string) error {
				b, err := strconv.ParseBool(v)
				if err != nil {
					return fmt.Errorf("want true or false, got %q", v)
				}
				c.Park = b
				return nil
			}},
		{Name: "park-connections", Default: "1",
			Usage: "inbound ESL connections that drive parked calls; each carries the events of its own calls only (filtered at the switch)",
			set: func(c *Config, v string) error {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 || n > 16 {
					return fmt.Errorf("want a number from 1 to 16, got %q", v)
				}
				c.ParkConnections = n
				return nil
			}},
		{Name: "park-claim-timeout", Default: "10s",
			Usage: "a parked call that nobody claimed for this long (fsstar was down) gets on-error rather than its script",
			set:   dur(func(c *Config) *time.Duration { return &c.ParkClaimTimeout })},
		{Name: "heartbeat-interval", Default: "10s",
			Usage: "how often this instance tells the switch it is alive (global variable fsstar_alive_<instance>); after three silent intervals its calls are taken over with on-error",
			set: func(c *Config, v string) error {
				d, err := time.ParseDuration(v)
				if err != nil || d < 100*time.Millisecond {
					return fmt.Errorf("want a duration of at least 100ms, got %q", v)
				}
				c.HeartbeatInterval = d
				return nil
			}},
		{Name: "xml-handler-script", Default: "",
			live:  func(d *Config, s Config) { d.XMLHandlerScript = s.XMLHandlerScript },
			Usage: "module whose xml_fetch(params) answers mod_xml_curl on POST /xml, as in python.conf.xml",
			set:   str(func(c *Config) *string { return &c.XMLHandlerScript })},
		{Name: "xml-handler-bindings", Default: "",
			live:  func(d *Config, s Config) { d.XMLHandlerBindings = s.XMLHandlerBindings },
			Usage: "comma-separated sections (dialplan, directory, configuration, phrases) xml_fetch answers; others get \"not found\"",
			set: func(c *Config, v string) error {
				c.XMLHandlerBindings = splitList(v)
				return nil
			}},
		{Name: "startup-script", Default: "", Repeatable: true,
			Usage: "module whose runtime(args) starts with the service (value `module args`), as mod_python's startup-script",
			set: func(c *Config, v string) error {
				if v != "" {
					c.StartupScripts = append(c.StartupScripts, v)
				}
				return nil
			},
			reset: func(c *Config) { c.StartupScripts = nil }},
		{Name: "event-hook", Default: "", Repeatable: true,
			Usage: "run a module's event_hook(event) for each switch event of a kind, as lua.conf's <hook>: `<EVENT>[/<subclass>] <module>[::function]` (`CHANNEL_HANGUP_COMPLETE cdr.log`, `CUSTOM/sofia::register hooks.reg`)",
			set: func(c *Config, v string) error {
				if v == "" {
					return nil
				}
				if _, err := ParseEventHook(v); err != nil {
					return err
				}
				c.EventHooks = append(c.EventHooks, v)
				return nil
			},
			reset: func(c *Config) { c.EventHooks = nil }},
		{Name: "event-hook-concurrency", Default: "4",
			Usage: "event hooks that may run at once; an event that finds them all busy is dropped and counted (fsstar_event_hooks_total{outcome=\"dropped\"})",
			set: func(c *Config, v string) error {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 {
					return fmt.Errorf("want a positive number, got %q", v)
				}
				c.EventHookConcurrency = n
				return nil
			}},
		{Name: "http-token", Default: "",
			live:  func(d *Config, s Config) { d.HTTPToken = s.HTTPToken },
			Usage: "bearer token the HTTP gateway requires (Authorization: Bearer <token>); empty means none",
			set:   str(func(c *Config) *string { return &c.HTTPToken })},
		{Name: "max-body-bytes", Default: "1048576",
			live:  func(d *Config, s Config) { d.MaxBodyBytes = s.MaxBodyBytes },
			Usage: "largest HTTP request body and largest fsapi/xml_fetch response, in bytes",
			set: func(c *Config, v string) error {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil || n <= 0 {
					return fmt.Errorf("want a positive number of bytes, got %q", v)
				}
				c.MaxBodyBytes = n
				return nil
			}},
		{Name: "request-timeout", Default: "10s",
			live:  func(d *Config, s Config) { d.RequestTimeout = s.RequestTimeout },
			Usage: "deadline of an fsapi request and of a runtime job started over HTTP",
			set:   dur(func(c *Config) *time.Duration { return &c.RequestTimeout })},
		{Name: "xml-fetch-timeout", Default: "2s",
			live:  func(d *Config, s Config) { d.XMLFetchTimeout = s.XMLFetchTimeout },
			Usage: "deadline of xml_fetch: past it the switch gets \"not found\" and falls back to its static XML",
			set:   dur(func(c *Config) *time.Duration { return &c.XMLFetchTimeout })},
		{Name: "max-steps", Default: strconv.FormatUint(loader.DefaultMaxSteps, 10),
			Usage: "Starlark execution steps one call may take before it is stopped (0 = no limit)",
			set: func(c *Config, v string) error {
				n, err := strconv.ParseUint(v, 10, 64)
				if err != nil {
					return fmt.Errorf("want a whole number of steps, got %q", v)
				}
				c.MaxSteps = n
				return nil
			}},
		{Name: "max-call-memory-bytes", Default: strconv.Itoa(membudget.DefaultPerCall),
			live:  func(d *Config, s Config) { d.MaxCallMemoryBytes = s.MaxCallMemoryBytes },
			Usage: "memory one call's script may hold, in bytes, before it is stopped (0 = no limit)",
			set:   bytesParam(func(c *Config) *int64 { return &c.MaxCallMemoryBytes })},
		{Name: "max-script-memory-bytes", Default: strconv.Itoa(membudget.DefaultProcess),
			live:  func(d *Config, s Config) { d.MaxScriptMemoryBytes = s.MaxScriptMemoryBytes },
			Usage: "memory all running scripts together may hold, in bytes; the script that would pass it is stopped (0 = no limit)",
			set:   bytesParam(func(c *Config) *int64 { return &c.MaxScriptMemoryBytes })},
		{Name: "recursion", Default: "false",
			Usage: "allow recursive functions in scripts (off, as in the Starlark spec)",
			set: func(c *Config, v string) error {
				b, err := strconv.ParseBool(v)
				if err != nil {
					return fmt.Errorf("want true or false, got %q", v)
				}
				c.Recursion = b
				return nil
			}},
		{Name: "reload", Default: "fsnotify",
			Usage: "how saved scripts are noticed: fsnotify, poll or off",
			set: func(c *Config, v string) error {
				switch v {
				case "fsnotify", "poll", "off":
					c.Reload = v
					return nil
				}
				return fmt.Errorf("want fsnotify, poll or off, got %q", v)
			}},
		{Name: "poll-interval", Default: "1s",
			Usage: "how often scripts are checked when reload is poll (or fsnotify cannot watch)",
			set:   dur(func(c *Config) *time.Duration { return &c.PollInterval })},
		{Name: "drain-timeout", Default: "30s",
			live:  func(d *Config, s Config) { d.DrainTimeout = s.DrainTimeout },
			Usage: "on SIGINT/SIGTERM, how long calls in flight may run before they are cancelled",
			set:   dur(func(c *Config) *time.Duration { return &c.DrainTimeout })},
		{Name: "hangup-grace", Default: "5s",
			live:  func(d *Config, s Config) { d.HangupGrace = s.HangupGrace },
			Usage: "how long a script may keep running after its call hung up before it is cancelled",
			set:   dur(func(c *Config) *time.Duration { return &c.HangupGrace })},
		{Name: "log-format", Default: "text",
			Usage: "log lines as text or json",
			set: func(c *Config, v string) error {
				if v != "text" && v != "json" {
					return fmt.Errorf("want text or json, got %q", v)
				}
				c.LogFormat = v
				return nil
			}},
		{Name: "log-level", Default: "info",
			live:  func(d *Config, s Config) { d.LogLevel = s.LogLevel },
			Usage: "trace, debug, info, warn or error",
			set: func(c *Config, v string) error {
				switch strings.ToLower(v) {
				case "trace", "debug", "info", "warn", "error":
					c.LogLevel = strings.ToLower(v)
					return nil
				}
				return fmt.Errorf("want trace, debug, info, warn or error, got %q", v)
			}},
		{Name: "state-backend", Default: "memory",
			Usage: "where the scripts' state module keeps its keys: `memory` (in this process; lost on restart, not shared), `hash` (the first switch's mod_hash over inbound ESL: shared by the instances serving that switch, lost when it restarts) or `postgres` (the fsstar_state table of state-dsn: shared by every instance, durable)",
			set: func(c *Config, v string) error {
				switch v {
				case "memory", "hash", "postgres":
					c.StateBackend = v
					return nil
				}
				return fmt.Errorf("want memory, hash or postgres, got %q", v)
			}},
		{Name: "state-max-entries", Default: "100000",
			Usage: "live keys the memory state backend holds; a new key beyond is an error",
			set:   positiveInt(func(c *Config) *int { return &c.StateMaxEntries })},
		{Name: "state-dsn", Default: "",
			Usage: "PostgreSQL URL of the postgres state backend (`postgres://user:pass@host/db`); the table fsstar_state is created when missing (never logged)",
			set:   str(func(c *Config) *string { return &c.StateDSN })},
		{Name: "smtp-server", Default: "",
			Usage: "SMTP server (`host:port`) freeswitch.email hands mail to; empty: email fails saying so",
			set:   str(func(c *Config) *string { return &c.SMTPServer })},
		{Name: "smtp-username", Default: "",
			Usage: "SMTP AUTH PLAIN user of freeswitch.email; sent only over TLS or to localhost",
			set:   str(func(c *Config) *string { return &c.SMTPUsername })},
		{Name: "smtp-password", Default: "",
			Usage: "SMTP AUTH PLAIN password (never logged)",
			set:   str(func(c *Config) *string { return &c.SMTPPassword })},
		{Name: "smtp-starttls", Default: "auto",
			Usage: "`auto` (upgrade when the server offers STARTTLS), `always` (fail when it does not) or `never`",
			set: func(c *Config, v string) error {
				switch v {
				case "auto", "always", "never":
					c.SMTPStartTLS = v
					return nil
				}
				return fmt.Errorf("want auto, always or never, got %q", v)
			}},
		{Name: "smtp-from", Default: "freeswitch",
			Usage: "envelope sender of freeswitch.email when the script gives none (the switch's own default)",
			set:   str(func(c *Config) *string { return &c.SMTPFrom })},
		{Name: "smtp-attachment-directory", Default: "", Repeatable: true,
			Usage: "absolute directory freeswitch.email may attach files from by absolute path (e.g. the switch's recordings on this host); repeat for more; relative paths are read from the script directories",
			set: func(c *Config, v string) error {
				if v == "" {
					return nil
				}
				if !strings.HasPrefix(v, "/") {
					return fmt.Errorf("want an absolute directory, got %q", v)
				}
				c.SMTPAttachmentDirs = append(c.SMTPAttachmentDirs, v)
				return nil
			},
			reset: func(c *Config) { c.SMTPAttachmentDirs = nil }},
		{Name: "smtp-timeout", Default: "30s",
			Usage: "deadline of one freeswitch.email, connection to QUIT",
			set:   positiveDur(func(c *Config) *time.Duration { return &c.SMTPTimeout })},
		{Name: starhttp.ParamAllowHosts, Default: "", Repeatable: true,
			Usage: "hosts the scripts' http module may reach, comma-separated: `host` (any port), `host:port`, `*.example.com` (names below it), `*`; none until set. A wildcard never reaches a loopback or link-local address; list such a host exactly",
			set: func(c *Config, v string) error {
				if _, err := starhttp.ParseAllowList(v); err != nil {
					return err
				}
				if strings.TrimSpace(v) != "" {
					c.HTTPAllowHosts = append(c.HTTPAllowHosts, v)
				}
				return nil
			},
			reset: func(c *Config) { c.HTTPAllowHosts = nil }},
		{Name: starhttp.ParamTimeout, Default: "10s",
			Usage: "deadline of a script's HTTP request that gives no timeout (redirects and body included)",
			set:   positiveDur(func(c *Config) *time.Duration { return &c.HTTPTimeout })},
		{Name: starhttp.ParamMaxTimeout, Default: "60s",
			Usage: "largest timeout a script's HTTP request may ask for",
			set:   positiveDur(func(c *Config) *time.Duration { return &c.HTTPMaxTimeout })},
		{Name: starhttp.ParamMaxResponseBytes, Default: "1048576",
			Usage: "largest response body a script's HTTP request reads, in bytes; a larger one is an error",
			set: func(c *Config, v string) error {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil || n <= 0 {
					return fmt.Errorf("want a positive number of bytes, got %q", v)
				}
				c.HTTPMaxResponseBytes = n
				return nil
			}},
		{Name: starhttp.ParamMaxRedirects, Default: "5",
			Usage: "redirects a script's HTTP request follows (each checked against http-allow-hosts); 0 follows none",
			set: func(c *Config, v string) error {
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 || n > 20 {
					return fmt.Errorf("want a number from 0 to 20, got %q", v)
				}
				c.HTTPMaxRedirects = n
				return nil
			}},
		{Name: scriptmetrics.ParamMaxNames, Default: "100",
			Usage: "metric names scripts may declare (metrics.counter, metrics.histogram); a declaration beyond is an error",
			set:   positiveInt(func(c *Config) *int { return &c.ScriptMetricsMaxNames })},
		{Name: scriptmetrics.ParamMaxSeries, Default: "1000",
			Usage: "label sets one script metric may have; samples for new ones beyond are dropped and counted (fsstar_script_metric_samples_dropped_total)",
			set:   positiveInt(func(c *Config) *int { return &c.ScriptMetricsMaxSeries })},
	}
}

func positiveDur(field func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("want a duration above 0 such as 500ms or 2s, got %q", v)
		}
		*field(c) = d
		return nil
	}
}

func positiveInt(field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("want a positive number, got %q", v)
		}
		*field(c) = n
		return nil
	}
}

func str(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *field(c) = v; return nil }
}

func dur(field func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return fmt.Errorf("want a duration such as 500ms or 2s, got %q", v)
		}
		*field(c) = d
		return nil
	}
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// DefaultConfig returns the configuration with every param at its default.
func DefaultConfig() Config {
	var c Config
	for _, p := range Params() {
		if p.Default == "" && p.Repeatable {
			continue
		}
		if err := p.set(&c, p.Default); err != nil {
			panic(fmt.Sprintf("server: default of %s: %v", p.Name, err)) // a bug in the table
		}
	}
	return c
}

// xmlConfig is conf/fsstar.conf.xml in FreeSWITCH's own form.
type xmlConfig struct {
	XMLName  xml.Name `xml:"configuration"`
	Name     string   `xml:"name,attr"`
	Settings struct {
		Params []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"param"`
	} `xml:"settings"`
}

// LoadConfig reads a FreeSWITCH-style configuration document
// (<configuration name="fsstar.conf"><settings><param name=".." value=".."/>)
// over c. A param it does not know, a bad value, or a repeated param that may
// be given once, is an error naming the param.
func LoadConfig(c *Config, r io.Reader) error {
	var doc xmlConfig
	dec := xml.NewDecoder(io.LimitReader(r, 1<<20))
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("parse configuration: %w", err)
	}
	if doc.Name != "fsstar.conf" {
		return fmt.Errorf("parse configuration: <configuration name=%q>, want name=\"fsstar.conf\"", doc.Name)
	}
	byName := map[string]Param{}
	for _, p := range Params() {
		byName[p.Name] = p
	}
	seen := map[string]bool{}
	var errs []error
	for _, x := range doc.Settings.Params {
		p, ok := byName[x.Name]
		if !ok {
			errs = append(errs, fmt.Errorf("unknown param %q", x.Name))
			continue
		}
		if seen[x.Name] && !p.Repeatable {
			errs = append(errs, fmt.Errorf("param %q given twice", x.Name))
			continue
		}
		if !seen[x.Name] && p.reset != nil {
			p.reset(c) // the file's values replace the defaults
		}
		seen[x.Name] = true
		if err := p.set(c, x.Value); err != nil {
			errs = append(errs, fmt.Errorf("param %q: %w", x.Name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	return nil
}

// LoadConfigFile is LoadConfig on a file.
func LoadConfigFile(c *Config, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open configuration: %w", err)
	}
	defer f.Close()
	if err := LoadConfig(c, f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// RegisterFlags defines one flag per param on fs. Values given on the command
// line are applied to c by ApplyFlags after the file is loaded, so flags win
// over the file, which wins over the defaults.
func RegisterFlags(fs *flag.FlagSet) *FlagValues {
	fv := &FlagValues{set: map[string][]string{}}
	for _, p := range Params() {
		usage := strings.ReplaceAll(p.Usage, "`", "'") // flag reads `x` as the value's name
		if p.Default != "" {
			usage += " (default " + strconv.Quote(p.Default) + ")"
		}
		if p.Repeatable {
			usage += " (repeatable)"
		}
		record := func(v string) error {
			fv.order = append(fv.order, p.Name)
			fv.set[p.Name] = append(fv.set[p.Name], v)
			return nil
		}
		if p.Default == "true" || p.Default == "false" {
			fs.BoolFunc(p.Name, usage, record) // -park alone means -park=true
			continue
		}
		fs.Func(p.Name, usage, record)
	}
	return fv
}

// FlagValues holds the params given as flags, to apply over a loaded Config.
type FlagValues struct {
	order []string
	set   map[string][]string
}

// Apply sets every param given as a flag on c. A repeatable param given as a
// flag replaces the values from the file.
func (fv *FlagValues) Apply(c *Config) error {
	var errs []error
	for _, p := range Params() {
		vals, ok := fv.set[p.Name]
		if !ok {
			continue
		}
		if p.reset != nil {
			p.reset(c)
		}
		for _, v := range vals {
			if err := p.set(c, v); err != nil {
				errs = append(errs, fmt.Errorf("-%s: %w", p.Name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// OnError is the parsed on-error policy.
type OnError struct {
	// Action is "hangup" or "transfer".
	Action string
	// Cause is the hangup cause (hangup).
	Cause string
	// Target is the transfer argument: "<extension> [dialplan] [context]".
	Target string
}

// ParseOnError parses an on-error value: `hangup:<CAUSE>` or `transfer:<ext> [dialplan] [context]`.
func ParseOnError(v string) (OnError, error) {
	action, arg, _ := strings.Cut(v, ":")
	arg = strings.TrimSpace(arg)
	switch action {
	case "hangup":
		if arg == "" {
			arg = "NORMAL_TEMPORARY_FAILURE"
		}
		for _, r := range arg {
			if !(r == '_' || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9')) {
				return OnError{}, fmt.Errorf("on-error %q: hangup cause must look like NORMAL_TEMPORARY_FAILURE", v)
			}
		}
		return OnError{Action: "hangup", Cause: arg}, nil
	case "transfer":
		if arg == "" || strings.ContainsAny(arg, "\r\n") {
			return OnError{}, fmt.Errorf("on-error %q: transfer needs an extension, as `transfer:fallback XML default`", v)
		}
		return OnError{Action: "transfer", Target: arg}, nil
	}
	return OnError{}, fmt.Errorf("on-error %q: want hangup:<CAUSE> or transfer:<extension> [dialplan] [context]", v)
}

// bytesParam sets a byte count that may be 0 (no limit).
func bytesParam(field func(*Config) *int64) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("want a number of bytes (0 = no limit), got %q", v)
		}
		*field(c) = n
		return nil
	}
}
