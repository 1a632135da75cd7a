package esltest

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
)

var errTimeout = errors.New("timeout")

// mediaDuration returns how long playing file takes in simulated time;
// forever is true for endless streams (loops=-1, silence_stream://0).
func (sw *Switch) mediaDuration(file string) (d time.Duration, forever bool) {
	switch {
	case strings.HasPrefix(file, "tone_stream://"):
		return toneDuration(strings.TrimPrefix(file, "tone_stream://"))
	case strings.HasPrefix(file, "silence_stream://"):
		ms, _, _ := strings.Cut(strings.TrimPrefix(file, "silence_stream://"), ",")
		n, err := strconv.Atoi(strings.TrimSpace(ms))
		if err != nil || n <= 0 {
			return 0, true
		}
		return time.Duration(n) * time.Millisecond, false
	case strings.HasPrefix(file, "file_string://"):
		var total time.Duration
		for _, f := range strings.Split(strings.TrimPrefix(file, "file_string://"), "!") {
			d, forever := sw.mediaDuration(f)
			if forever {
				return 0, true
			}
			total += d
		}
		return total, false
	default:
		return sw.opts.fileDuration, false
	}
}

// toneDuration sums the %(on,off,freq...) segments of a TGML tone times its
// loops (loops=N or L=N; -1 forever).
func toneDuration(spec string) (time.Duration, bool) {
	var one time.Duration
	loops := 1
	for _, part := range strings.Split(spec, ";") {
		part = strings.TrimSpace(part)
		switch {
		case strings.HasPrefix(part, "loops="), strings.HasPrefix(part, "L="):
			_, v, _ := strings.Cut(part, "=")
			if n, err := strconv.Atoi(v); err == nil {
				loops = n
			}
		case strings.HasPrefix(part, "%("):
			inner := strings.TrimSuffix(strings.TrimPrefix(part, "%("), ")")
			f := strings.Split(inner, ",")
			if len(f) >= 2 {
				on, _ := strconv.Atoi(strings.TrimSpace(f[0]))
				off, _ := strconv.Atoi(strings.TrimSpace(f[1]))
				one += time.Duration(on+off) * time.Millisecond
			}
		}
	}
	if loops < 0 {
		return 0, true
	}
	return one * time.Duration(max(loops, 1)), false
}

// input is how an application takes the caller's input while its media
// plays (FreeSWITCH's switch_input_args_t). A nil *input leaves digits and
// events queued on the channel.
type input struct {
	// dtmf, when set, gets every digit waiting or arriving, each taken from
	// the channel's buffer; true stops the media.
	dtmf func(rune) bool
	// events: the app has an input callback, so events queued to the
	// session (sendevent with its Unique-ID) are taken and dropped.
	events bool
}

// take hands the waiting digits to in.dtmf and drops queued events as the
// app's input callback does; it reports whether the media is to stop.
func (ch *Channel) take(in *input) bool {
	if in == nil {
		return false
	}
	if in.events {
		ch.takeEvents()
	}
	if in.dtmf == nil {
		return false
	}
	for {
		d, ok := ch.popDigit()
		if !ok {
			return false
		}
		if in.dtmf(d) {
			return true
		}
	}
}

// play plays file for its simulated duration with PLAYBACK_START/STOP.
// It stops early on hangup, uuid_break, or when in.dtmf accepts a digit
// (digits are taken from the buffer as they arrive, as
// switch_ivr_play_file does). It returns "done" or "break" and the
// simulated time played.
func (ch *Channel) play(ctx context.Context, file string, in *input) (string, time.Duration) {
	select { // a break sent before the media started does not count
	case <-ch.brk:
	default:
	}
	for len(ch.fman) > 0 { // nor does a pause
		<-ch.fman
	}
	d, forever := ch.sw.mediaDuration(file)
	typ, _, ok := strings.Cut(file, "://")
	if !ok {
		typ = "file"
	}
	ev := ch.event("PLAYBACK_START", "switch_ivr_play_say.c", "switch_ivr_play_file", 1569)
	ev.Headers.Add("Playback-File-Type", typ)
	ev.Headers.Add("Playback-File-Path", file)
	ch.sw.publish(ev)
	start := time.Now()
	var timer <-chan time.Time
	var t *time.Timer
	var deadline time.Time      // when the media ends, unless paused
	var remaining time.Duration // what is left while paused
	paused := false
	if !forever {
		t = time.NewTimer(ch.sw.scaled(d))
		defer t.Stop()
		timer = t.C
		deadline = time.Now().Add(ch.sw.scaled(d))
		ch.clockWaits(d)
		defer ch.clockWaitDone()
	}
	status := "done"
loop:
	for {
		if ch.take(in) {
			status = "break"
			break
		}
		select {
		case <-timer:
			break loop
		case <-ch.brk:
			status = "break"
			break loop
		case <-ctx.Done():
			status = "break"
			break loop
		case <-ch.dtmfCh:
		case <-ch.evCh:
		case c := <-ch.fman:
			if t == nil {
				continue // endless media: nothing to pause or restart
			}
			switch {
			case c == "pause" && !paused: // uuid_fileman pause toggles
				remaining = time.Until(deadline)
				t.Stop()
				timer, paused = nil, true
				ch.clockWaitDone() // paused: the caller's time goes on
			case c == "pause":
				deadline = time.Now().Add(remaining)
				t.Reset(remaining)
				timer, paused = t.C, false
				ch.clockWaits(ch.sw.unscaled(remaining))
			case c == "restart" && paused:
				remaining = ch.sw.scaled(d)
			case c == "restart":
				deadline = time.Now().Add(ch.sw.scaled(d))
				t.Reset(ch.sw.scaled(d))
				ch.clockWaits(d)
			}
		}
	}
	played := d
	if status == "break" || forever {
		played = time.Duration(float64(time.Since(start)) / ch.sw.opts.scale)
	}
	ms := played.Milliseconds()
	ch.vars.set("playback_last_offset_pos", strconv.FormatInt(ms*8, 10))
	ch.vars.set("playback_seconds", strconv.FormatInt(ms/1000, 10))
	ch.vars.set("playback_ms", strconv.FormatInt(ms, 10))
	ch.vars.set("playback_samples", strconv.FormatInt(ms*8, 10))
	ev = ch.event("PLAYBACK_STOP", "switch_ivr_play_say.c", "switch_ivr_play_file", 2025)
	ev.Headers.Add("Playback-File-Type", typ)
	ev.Headers.Add("Playback-File-Path", file)
	ev.Headers.Add("Playback-Status", status)
	ch.sw.publish(ev)
	return status, played
}

func (ch *Channel) popDigit() (rune, bool) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if len(ch.digits) == 0 {
		return 0, false
	}
	d := ch.digits[0]
	ch.digits = ch.digits[1:]
	return d, true
}

// nextDigit takes the next digit, waiting at most timeout (simulated).
func (ch *Channel) nextDigit(ctx context.Context, timeout time.Duration) (rune, error) {
	t := time.NewTimer(ch.sw.scaled(timeout))
	defer t.Stop()
	ch.clockWaits(timeout)
	defer ch.clockWaitDone()
	for {
		if d, ok := ch.popDigit(); ok {
			return d, nil
		}
		select {
		case <-ch.dtmfCh:
		case <-t.C:
			return 0, errTimeout
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// collectCount is switch_ivr_collect_digits_count: it adds digits to buf
// up to maxDigits, the first within timeout and the next ones within
// digitTimeout each. A terminator (already in buf, or typed) ends it and is
// not kept. err is errTimeout (or ctx's error) when it ended waiting.
func (ch *Channel) collectCount(ctx context.Context, buf []rune, maxDigits int, terms string, timeout, digitTimeout time.Duration) ([]rune, rune, error) {
	for i, d := range buf {
		if strings.ContainsRune(terms, d) {
			return buf[:i], d, nil
		}
	}
	wait := timeout
	for len(buf) < maxDigits {
		d, err := ch.nextDigit(ctx, wait)
		if err != nil {
			return buf, 0, err
		}
		if strings.ContainsRune(terms, d) {
			return buf, d, nil
		}
		buf = append(buf, d)
		wait = digitTimeout
	}
	return buf, 0, nil
}

// receiveDTMF is a digit arriving on the channel: a DTMF event, then the
// digit joins the buffer that read, play_and_get_digits and playback use.
func (ch *Channel) receiveDTMF(d rune, duration int) {
	if ch.isHungup() {
		return
	}
	ev := ch.event("DTMF", "switch_channel.c", "switch_channel_dequeue_dtmf", 503)
	ev.Headers.Add("DTMF-Digit", string(d))
	ev.Headers.Add("DTMF-Duration", strconv.Itoa(duration))
	ev.Headers.Add("DTMF-Source", "UNKNOWN")
	ch.sw.publish(ev)
	ch.mu.Lock()
	if len(ch.digits) < 128 {
		ch.digits = append(ch.digits, d)
	}
	ch.mu.Unlock()
	ch.vars.set("last_dtmf_duration", strconv.Itoa(duration))
	select {
	case ch.dtmfCh <- struct{}{}:
	default:
	}
}

// SendDTMF delivers digits to the channel as if the caller pressed them:
// a DTMF event each, and the digits reach a running play_and_get_digits,
// read or playback. "w" waits half a second and "W" one second
// (simulated); "@ms" after the digits sets their duration in samples as
// uuid_send_dtmf does ("123@500"). Digits with pauses are sent in the
// background; SendDTMF itself does not block.
func (ch *Channel) SendDTMF(digits string) { ch.SendDTMFAfter(0, digits) }

// SendDTMFAfter is SendDTMF after a simulated delay d.
func (ch *Channel) SendDTMFAfter(d time.Duration, digits string) {
	groups, dur := parseDTMF(digits)
	if d <= 0 && (len(groups) == 0 || len(groups) == 1 && groups[0].at == 0) {
		for _, g := range groups {
			ch.pressKeys(g.keys, dur)
		}
		return
	}
	sw := ch.sw
	sw.mu.Lock()
	if sw.closed {
		sw.mu.Unlock()
		return
	}
	sw.wg.Add(1)
	sw.mu.Unlock()
	go func() {
		defer sw.wg.Done()
		if sw.sleep(ch.ctx, d) != nil && d > 0 {
			return
		}
		var at time.Duration
		for _, g := range groups {
			if sw.sleep(ch.ctx, g.at-at) != nil && g.at > at {
				return
			}
			at = g.at
			ch.pressKeys(g.keys, dur)
		}
	}()
}

// dtmfGroup is keys pressed together, at an offset from the first.
type dtmfGroup struct {
	at   time.Duration
	keys string
}

// parseDTMF splits the digits of SendDTMF into the groups between its
// pauses ("w": half a second, "W": a second, simulated) and reads the
// duration of "@ms" (2000 samples by default).
func parseDTMF(digits string) (groups []dtmfGroup, dur int) {
	keys, durs, _ := strings.Cut(digits, "@")
	dur = 2000
	if n, err := strconv.Atoi(durs); err == nil && n > 0 {
		dur = n
	}
	var at time.Duration
	cur := ""
	flush := func() {
		if cur != "" {
			groups = append(groups, dtmfGroup{at, cur})
			cur = ""
		}
	}
	for _, r := range keys {
		switch r {
		case 'w':
			flush()
			at += 500 * time.Millisecond
		case 'W':
			flush()
			at += time.Second
		default:
			cur += string(r)
		}
	}
	flush()
	return groups, dur
}

// pressKeys delivers keys at once, each of duration dur (samples); what
// is not a DTMF key is ignored.
func (ch *Channel) pressKeys(keys string, dur int) {
	for _, r := range keys {
		if strings.ContainsRune("0123456789*#ABCDabcd", r) {
			ch.receiveDTMF(r, dur)
		}
	}
}
