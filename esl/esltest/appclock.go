package esltest

import (
	"sync"
	"time"
)

// The app clock of a channel measures simulated time only while the channel
// runs an application other than socket: a prompt playing, digits being
// collected, a sleep, a bridge, park. The time an outbound socket server
// takes between two commands does not count. On a real switch a script's
// round trips take a few milliseconds against prompts of seconds; with
// WithTimeScale(0.01) the same round trips would be hundreds of simulated
// milliseconds, and a digit "pressed 300 ms into the call" would land before
// the script had even started its prompt.
//
// While an application waits on a timer of its own (a prompt of known
// length, a sleep, a digit timeout: clockWaits), the clock counts at most
// that timer's simulated length: a timer that fires late because the
// machine is busy must not make simulated time run on (at WithTimeScale(0.01)
// a goroutine starved for 150 ms turned a 1 s prompt into 15 s).
type appClock struct {
	busy    int           // applications running that count
	base    time.Duration // simulated time accumulated before since
	since   time.Time     // when the current stretch began (busy > 0)
	limit   time.Duration // with limited: the most the current stretch counts
	limited bool
	changed chan struct{} // closed and replaced when the clock starts, stops or is limited
}

// clockCounts reports whether app advances the app clock: every app but
// socket, which only holds the channel for its server's commands.
func clockCounts(app string) bool { return app != "socket" }

// clockStart and clockStop bracket an application that counts.
func (ch *Channel) clockStart() {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	c := &ch.clock
	if c.busy == 0 {
		c.since, c.limited = time.Now(), false
		ch.clockChangedLocked()
	}
	c.busy++
}

func (ch *Channel) clockStop() {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	c := &ch.clock
	if c.busy == 1 {
		d, _ := ch.stretchLocked()
		c.base += d
		c.limited = false
		ch.clockChangedLocked()
	}
	c.busy--
}

// stretchLocked is the simulated time of the current stretch (zero when
// no app runs), and whether it still grows (not at its limit).
func (ch *Channel) stretchLocked() (d time.Duration, running bool) {
	c := &ch.clock
	if c.busy == 0 {
		return 0, false
	}
	d = ch.sw.unscaled(time.Since(c.since))
	if c.limited && d >= c.limit {
		return c.limit, false
	}
	return d, true
}

// clockWaits says that the running app now waits on a timer of d
// (simulated): the clock counts at most d more, until clockWaitDone or the
// app's end.
func (ch *Channel) clockWaits(d time.Duration) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.clock.busy == 0 {
		return
	}
	ch.newStretchLocked()
	ch.clock.limit, ch.clock.limited = max(d, 0), true
}

// clockWaitDone ends the limit clockWaits set: the app waits on something
// else now (or is done).
func (ch *Channel) clockWaitDone() {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.clock.busy == 0 {
		return
	}
	ch.newStretchLocked()
	ch.clock.limited = false
}

// newStretchLocked banks the current stretch and starts a new one.
func (ch *Channel) newStretchLocked() {
	c := &ch.clock
	d, _ := ch.stretchLocked()
	c.base += d
	c.since = time.Now()
	ch.clockChangedLocked()
}

func (ch *Channel) clockChangedLocked() {
	if ch.clock.changed != nil {
		close(ch.clock.changed)
	}
	ch.clock.changed = make(chan struct{})
}

// appTime returns the app clock, whether it is running, and a channel closed
// when it starts or stops.
func (ch *Channel) appTime() (now time.Duration, running bool, changed <-chan struct{}) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	c := &ch.clock
	if c.changed == nil {
		c.changed = make(chan struct{})
	}
	d, running := ch.stretchLocked()
	return c.base + d, running, c.changed
}

// appTimeLocked is the app clock now.
func (ch *Channel) appTimeLocked() time.Duration {
	d, _ := ch.stretchLocked()
	return ch.clock.base + d
}

// AppTime returns the channel's app clock: the simulated time it has spent
// running applications (other than socket) since it was created.
func (ch *Channel) AppTime() time.Duration {
	now, _, _ := ch.appTime()
	return now
}

// AtAppTime calls f (on a goroutine of its own) when the channel's app
// clock reaches at: after at of simulated time spent running applications
// other than socket, so that the time a script takes between its commands
// does not count. f is not called when the channel hangs up first or the
// switch closes; stop cancels it.
//
// This is how a test says "the caller presses 2 one second into the menu"
// without racing the script: ch.AtAppTime(t0+time.Second, func() { ch.SendDTMF("2") }).
func (ch *Channel) AtAppTime(at time.Duration, f func()) (stop func()) {
	sw := ch.sw
	quit := make(chan struct{})
	var once sync.Once
	stopFn := func() { once.Do(func() { close(quit) }) }
	sw.mu.Lock()
	if sw.closed {
		sw.mu.Unlock()
		return stopFn
	}
	sw.wg.Add(1)
	sw.mu.Unlock()
	go func() {
		defer sw.wg.Done()
		for {
			now, running, changed := ch.appTime()
			if now >= at {
				select {
				case <-quit:
				case <-ch.ctx.Done():
				default:
					f()
				}
				return
			}
			if !ch.waitAppTime(at-now, running, changed, quit) {
				return
			}
		}
	}()
	return stopFn
}

// waitAppTime waits until left of simulated time has passed (when the clock
// is running), the clock starts or stops, or it is time to give up (false).
func (ch *Channel) waitAppTime(left time.Duration, running bool, changed <-chan struct{}, quit <-chan struct{}) bool {
	var timer <-chan time.Time
	if running {
		t := time.NewTimer(ch.sw.scaled(left))
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-timer:
	case <-changed:
	case <-quit:
		return false
	case <-ch.ctx.Done():
		return false
	case <-ch.sw.ctx.Done():
		return false
	}
	return true
}

// WhenApp calls f (on its own goroutine) when the channel starts running
// the application name, or at once if it is running it now. It is how a
// test says "the caller presses 42# during the prompt of
// play_and_get_digits" without racing the script: digits that arrive
// between a script's commands are dropped by the socket's park, as on the
// switch.
func (ch *Channel) WhenApp(name string, f func()) {
	ch.whenApp(name, func(time.Duration) bool { go f(); return false })
}

// DTMFDuring presses digits after of app-clock time into the next run of
// the application app (or into the run going on now): "the caller presses
// 42# one second into play_and_get_digits". The app's start is taken on
// the app clock as the app starts, not when a goroutine gets round to it,
// so neither the script's round trips nor a busy machine move the digits
// relative to the app. "w" and "W" in digits pause half a second and a
// second as in SendDTMF, on the app clock too: "1WWW12#" presses 1, then
// 12# three seconds of the app's time later.
func (ch *Channel) DTMFDuring(app string, after time.Duration, digits string) {
	ch.whenApp(app, func(start time.Duration) bool {
		ch.pressAt(start+after, digits)
		return false
	})
}

// DTMFEachRun presses keys[i] after of app-clock time into the i-th run of
// app from now on (the run going on now is the first): "one key into each
// of the menu's next seven reads", whatever the script does between them.
// A run that starts while the previous key is still to come gets the next
// key all the same: each key belongs to its run.
func (ch *Channel) DTMFEachRun(app string, after time.Duration, keys ...string) {
	if len(keys) == 0 {
		return
	}
	i := 0
	ch.whenApp(app, func(start time.Duration) bool {
		ch.pressAt(start+after, keys[i])
		i++
		return i < len(keys)
	})
}

// pressAt presses digits at app-clock time at; "w" and "W" pause on the
// app clock. Each group of digits is scheduled by the one before it, so
// they come in order however the machine schedules the goroutines.
func (ch *Channel) pressAt(at time.Duration, digits string) {
	groups, dur := parseDTMF(digits)
	var next func(i int)
	next = func(i int) {
		if i == len(groups) {
			return
		}
		ch.AtAppTime(at+groups[i].at, func() {
			ch.pressKeys(groups[i].keys, dur)
			next(i + 1)
		})
	}
	next(0)
}

// appHook is called, without the channel's lock, as the app it waits for
// starts, with the app clock at the start; it stays registered for the
// next run while it returns true. It must not block.
type appHook func(start time.Duration) (again bool)

// whenApp calls f at once for the run of app going on now, if any, and
// registers it for the next run unless it has had enough.
func (ch *Channel) whenApp(name string, f appHook) {
	ch.mu.Lock()
	if ch.curApp == name {
		start := ch.curAppStart
		ch.mu.Unlock()
		if !f(start) {
			return
		}
		ch.mu.Lock()
	}
	if ch.appHooks == nil {
		ch.appHooks = map[string][]appHook{}
	}
	ch.appHooks[name] = append(ch.appHooks[name], f)
	ch.mu.Unlock()
}

// runAppHooks calls the hooks waiting for app, which starts at start on
// the app clock, and keeps those that ask for the next run.
func (ch *Channel) runAppHooks(app string, start time.Duration) {
	ch.mu.Lock()
	hooks := ch.appHooks[app]
	delete(ch.appHooks, app)
	ch.mu.Unlock()
	var again []appHook
	for _, f := range hooks {
		if f(start) {
			again = append(again, f)
		}
	}
	if len(again) > 0 {
		ch.mu.Lock()
		ch.appHooks[app] = append(again, ch.appHooks[app]...)
		ch.mu.Unlock()
	}
}
