package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/fsstar/fsstar/server"
)

// runServe is `fsstar serve`: defaults, then -config's file, then flags.
// SIGINT/SIGTERM drain; SIGHUP re-reads the file (live params only).
func runServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fsstar serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "configuration file in FreeSWITCH's form (conf/fsstar.conf.xml); flags override it")
	fv := server.RegisterFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: fsstar serve [-config fsstar.conf.xml] [flags]\n\nEvery param of fsstar.conf.xml is also a flag:")
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\nSIGHUP re-reads -config and applies %v; other params need a restart.\n", server.LiveParams())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	load := func() (server.Config, error) {
		cfg := server.DefaultConfig()
		if *configPath != "" {
			if err := server.LoadConfigFile(&cfg, *configPath); err != nil {
				return cfg, err
			}
		}
		return cfg, fv.Apply(&cfg)
	}
	cfg, err := load()
	if err != nil {
		fmt.Fprintln(stderr, "fsstar serve:", err)
		return 2
	}
	log := server.NewLogger(cfg, stderr)
	srv, err := server.New(cfg, server.WithLogger(log))
	if err != nil {
		fmt.Fprintln(stderr, "fsstar serve:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			next, err := load()
			if err == nil {
				err = srv.Reconfigure(next)
			}
			if err != nil {
				log.Error("SIGHUP: configuration not reloaded", "error", err)
			}
		}
	}()
	if err := srv.Run(ctx); err != nil {
		log.Error("fsstar serve stopped with an error", "error", err)
		return 1
	}
	return 0
}
