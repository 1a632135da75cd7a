package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// httpRun is one window of HTTP requests against one URL.
type httpRun struct {
	Requests int // answered 200 with a body the check accepted
	Failed   int
	Elapsed  time.Duration
	Lat      []time.Duration
	CPU      time.Duration // of the serving process
	Err      string
}

// RPS is successful requests per second.
func (r httpRun) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// httpLoad sends n requests (POST form body when form is not empty, else
// GET) with concurrency workers over keep-alive connections, bounded by
// budget; check decides whether a body is right.
func httpLoad(ctx context.Context, url, form string, n, concurrency int, budget time.Duration, pid int, check func(string) bool) httpRun {
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	tr := &http.Transport{
		MaxIdleConnsPerHost: concurrency,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var (
		next atomic.Int64
		mu   sync.Mutex
		r    httpRun
		wg   sync.WaitGroup
	)
	cpu0, _ := procCPU(pid)
	start := time.Now()
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, n/concurrency+1)
			ok, bad, first := 0, 0, ""
			for ctx.Err() == nil && int(next.Add(1)) <= n {
				var req *http.Request
				if form != "" {
					req, _ = http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(form))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				} else {
					req, _ = http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					bad++
					if first == "" {
						first = err.Error()
					}
					continue
				}
				body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
				resp.Body.Close()
				d := time.Since(t0)
				if resp.StatusCode != http.StatusOK || !check(string(body)) {
					bad++
					if first == "" {
						first = fmt.Sprintf("%s: %s: %.200q", url, resp.Status, body)
					}
					continue
				}
				ok++
				lat = append(lat, d)
			}
			mu.Lock()
			r.Requests += ok
			r.Failed += bad
			r.Lat = append(r.Lat, lat...)
			if r.Err == "" {
				r.Err = first
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	r.Elapsed = time.Since(start)
	cpu1, _ := procCPU(pid)
	r.CPU = cpu1 - cpu0
	return r
}
