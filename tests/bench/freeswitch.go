package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fsstar/fsstar/esl"
)

// fsResult is the optional run on a real FreeSWITCH
// (FSSTAR_BENCH_FREESWITCH=host:port).
type fsResult struct {
	Ran    bool
	Addr   string
	Note   string // why it did not run, or what to know
	Window time.Duration
	Rows   []fsRow
}

// fsRow is one contender's fixed window of loopback calls on the real switch.
type fsRow struct {
	Key, Name    string
	Calls        int // completed with bench_var set by the flow
	Failed       int
	CPS          float64
	ContenderCPU time.Duration
	SwitchCPU    time.Duration // 0 when the switch is not on this machine
	Err          string
}

// runFreeSWITCH places loopback calls on a real switch for a fixed window
// per contender: "bgapi originate {fsstar_app=bench.flow}loopback/<ext>
// &socket(<contender> async full)", at most -concurrency in flight, and
// counts the CHANNEL_HANGUP_COMPLETE of the socket legs that carry
// bench_var=fsstar (the flow ran). The switch's password is ClueCon unless
// FSSTAR_BENCH_FREESWITCH_PASSWORD says otherwise; the extension is
// FSSTAR_BENCH_FREESWITCH_EXT (default park/fsstar_test, the test switch's
// context of tools/freeswitch: it answers and parks).
func runFreeSWITCH(ctx context.Context, cfg config, cs []*contender) fsResult {
	addr := os.Getenv("FSSTAR_BENCH_FREESWITCH")
	if addr == "" {
		return fsResult{Note: "Not run: FSSTAR_BENCH_FREESWITCH is not set (no FreeSWITCH on this machine); set it to host:port of a switch's event socket to add this table"}
	}
	res := fsResult{Ran: true, Addr: addr, Window: 20 * time.Second}
	if cfg.Smoke {
		res.Window = 3 * time.Second
	}
	pw := os.Getenv("FSSTAR_BENCH_FREESWITCH_PASSWORD")
	if pw == "" {
		pw = "ClueCon"
	}
	ext := os.Getenv("FSSTAR_BENCH_FREESWITCH_EXT")
	if ext == "" {
		ext = "park/fsstar_test"
	}
	switchPid := localFreeSWITCH(addr)
	if switchPid == 0 {
		res.Note = "the switch is not on this machine (or its process was not found), so its CPU is not reported"
	}
	for _, c := range cs[1:] {
		if c.Skip != "" || ctx.Err() != nil {
			continue
		}
		row := fsRow{Key: c.Key, Name: c.Name}
		func() {
			cl, err := esl.Dial(ctx, addr, esl.WithPassword(pw))
			if err != nil {
				row.Err = err.Error()
				return
			}
			defer cl.Close()
			if err := cl.Subscribe(ctx, "CHANNEL_HANGUP_COMPLETE"); err != nil {
				row.Err = err.Error()
				return
			}
			sub := cl.Listen(esl.Match{Names: []string{"CHANNEL_HANGUP_COMPLETE"}, Buffer: 65536})
			defer sub.Close()
			ch, err := c.start(ctx, addr)
			if err != nil {
				row.Err = err.Error()
				return
			}
			defer ch.Stop()
			var inflight atomic.Int64
			wctx, cancel := context.WithTimeout(ctx, res.Window)
			defer cancel()
			cpu0, _ := procCPU(ch.Pid())
			var sw0 time.Duration
			if switchPid > 0 {
				sw0, _ = procCPU(switchPid)
			}
			start := time.Now()
			go func() {
				for wctx.Err() == nil {
					if inflight.Load() >= int64(cfg.Concurrency) {
						time.Sleep(time.Millisecond)
						continue
					}
					inflight.Add(1)
					cmd := fmt.Sprintf("originate {fsstar_app=%s,bench_run=%s,ignore_early_media=true}loopback/%s &socket('%s async full')", appFlow, c.Key, ext, ch.Addr)
					if _, err := cl.BgAPIAsync(wctx, cmd); err != nil {
						inflight.Add(-1)
						time.Sleep(10 * time.Millisecond)
					}
				}
			}()
			for {
				ev, err := sub.Next(wctx)
				if err != nil {
					break
				}
				if ev.Variable("bench_run") != c.Key || !strings.HasSuffix(ev.Get("Channel-Name"), "-a") {
					continue
				}
				inflight.Add(-1)
				if ev.Variable("bench_var") == "fsstar" {
					row.Calls++
				} else {
					row.Failed++
				}
				if row.Failed >= 100 && row.Calls == 0 {
					row.Err = "100 calls ended without the flow and none completed: does the extension answer, and does the contender get the socket connection?"
					break
				}
			}
			el := time.Since(start)
			cpu1, _ := procCPU(ch.Pid())
			row.ContenderCPU = cpu1 - cpu0
			if switchPid > 0 {
				sw1, _ := procCPU(switchPid)
				row.SwitchCPU = sw1 - sw0
			}
			row.CPS = float64(row.Calls) / el.Seconds()
			// let the calls in flight end before the next contender
			time.Sleep(3 * time.Second)
		}()
		res.Rows = append(res.Rows, row)
	}
	return res
}

// localFreeSWITCH returns the pid of a freeswitch process on this machine
// when addr is a loopback address, else 0.
func localFreeSWITCH(addr string) int {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return 0
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return 0
	}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if b, err := os.ReadFile("/proc/" + e.Name() + "/comm"); err == nil && strings.TrimSpace(string(b)) == "freeswitch" {
			return pid
		}
	}
	return 0
}

// nodeVersion returns `node --version`, or "" without node.
func nodeVersion(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "node", "--version").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
