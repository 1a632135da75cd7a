//go:build fsstar_pprof

package main

// Profiling for the benchmark harness only (tests/bench): built with
// -tags fsstar_pprof, fsstar serves net/http/pprof on the loopback address
// in FSSTAR_PPROF_LISTEN. The default build has no pprof at all.

import (
	"net"
	"net/http"
	"net/http/pprof"
	"os"
)

func init() {
	addr := os.Getenv("FSSTAR_PPROF_LISTEN")
	if addr == "" {
		return
	}
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		os.Stderr.WriteString("fsstar: FSSTAR_PPROF_LISTEN must be a loopback host:port\n")
		os.Exit(2)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	go http.ListenAndServe(addr, mux)
}
