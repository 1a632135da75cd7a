package esltest

import (
	"time"

	"github.com/hashicorp/go-hclog"
)

// Option configures a Switch.
type Option func(*options)

type options struct {
	password     string
	logger       hclog.Logger
	scale        float64
	hostname     string
	coreUUID     string
	addr         string
	fileDuration time.Duration
	queueLen     int
	maxChannels  int
}

func defaultOptions() options {
	return options{
		password:     "ClueCon",
		scale:        0.01,
		hostname:     "vm",
		addr:         "127.0.0.1:0",
		fileDuration: time.Second,
		queueLen:     4096,
		maxChannels:  5000,
	}
}

// WithPassword sets the password "auth" accepts (default ClueCon).
func WithPassword(pw string) Option { return func(o *options) { o.password = pw } }

// WithLogger sends the switch's logs to l (default: hclog.NewNullLogger()).
func WithLogger(l hclog.Logger) Option { return func(o *options) { o.logger = l } }

// WithTimeScale sets how fast simulated time runs: every media duration,
// sleep, digit timeout and linger time is multiplied by f. 1 is real time;
// the default, 0.01, makes a one-second tone take 10 ms.
func WithTimeScale(f float64) Option {
	return func(o *options) {
		if f > 0 {
			o.scale = f
		}
	}
}

// WithHostname sets the switch's hostname (FreeSWITCH-Hostname, "api hostname"); default "vm".
func WithHostname(h string) Option { return func(o *options) { o.hostname = h } }

// WithCoreUUID sets the Core-UUID the switch reports (default: a random uuid).
func WithCoreUUID(id string) Option { return func(o *options) { o.coreUUID = id } }

// WithListenAddr sets the address of the inbound ESL listener (default 127.0.0.1:0).
func WithListenAddr(addr string) Option { return func(o *options) { o.addr = addr } }

// WithFileDuration sets how long playing a file that is not a tone_stream or
// silence_stream lasts in simulated time (default one second); it also
// applies to speak, say, phrase and record.
func WithFileDuration(d time.Duration) Option { return func(o *options) { o.fileDuration = d } }

// WithEventQueue sets how many events may wait for one slow connection
// before the switch disconnects it, as FreeSWITCH does (default 4096).
func WithEventQueue(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.queueLen = n
		}
	}
}

// WithMaxChannels bounds the number of live channels (default 5000);
// originate beyond it fails with -ERR SWITCH_CONGESTION.
func WithMaxChannels(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxChannels = n
		}
	}
}
