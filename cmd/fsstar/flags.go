package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/fsstar/fsstar/devtools"
	"github.com/fsstar/fsstar/server"
)

// switchFlags are the flags of the commands that reach a switch (eval, run,
// api): the configuration file, the parts of it worth overriding on the
// command line, and -sim.
type switchFlags struct {
	fs       *flag.FlagSet
	config   string
	esl      string
	password string
	dirs     stringList
	logLevel string
	sim      bool
}

func addSwitchFlags(fs *flag.FlagSet) *switchFlags {
	f := &switchFlags{fs: fs}
	fs.StringVar(&f.config, "config", "", "configuration file (conf/fsstar.conf.xml); flags override it")
	fs.StringVar(&f.esl, "esl", "", "the switch's inbound event socket, host:port (default from -config, else 127.0.0.1:8021)")
	fs.StringVar(&f.password, "password", "", "event socket password (default from -config, else ClueCon)")
	fs.Var(&f.dirs, "script-directory", "script directory for load() and module names (repeatable; default from -config, else ./scripts)")
	fs.StringVar(&f.logLevel, "log-level", "", "level of script logs (print, consoleLog): trace, debug, info, warn, error, off (default info)")
	fs.BoolVar(&f.sim, "sim", false, "start the simulated switch in-process and use it (no FreeSWITCH needed)")
	return f
}

// load returns the configuration: defaults, then -config's file, then the
// flags given.
func (f *switchFlags) load() (server.Config, error) {
	cfg := server.DefaultConfig()
	if f.config != "" {
		if err := server.LoadConfigFile(&cfg, f.config); err != nil {
			return cfg, err
		}
	}
	f.fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "esl":
			cfg.ESLAddress = f.esl
		case "password":
			cfg.ESLPassword = f.password
		case "script-directory":
			cfg.ScriptDirs = f.dirs
		case "log-level":
			cfg.LogLevel = f.logLevel
		}
	})
	return cfg, nil
}

// startSim starts the simulated switch when -sim was given and points cfg
// at it. The returned function stops it.
func (f *switchFlags) startSim(cfg *server.Config) (stop func(), err error) {
	if !f.sim {
		return func() {}, nil
	}
	sw, err := devtools.StartSim()
	if err != nil {
		return nil, err
	}
	cfg.ESLAddress, cfg.ESLPassword = sw.Addr(), sw.Password()
	return sw.Close, nil
}

// reportSwitchError prints why the switch could not be used, in one line,
// offering -sim when it was not reachable.
func reportSwitchError(w io.Writer, cmd string, err error) {
	var ue *devtools.UnreachableError
	if errors.As(err, &ue) {
		fmt.Fprintf(w, "fsstar %s: %v (is FreeSWITCH running with mod_event_socket? give -esl/-password or -config, or -sim for the simulated switch)\n", cmd, err)
		return
	}
	fmt.Fprintf(w, "fsstar %s: %v\n", cmd, err)
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// parseFlags parses args, printing errors and usage to fs's output; done is
// true when the command should exit with code.
func parseFlags(fs *flag.FlagSet, args []string) (code int, done bool) {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0, true
		}
		return 2, true
	}
	return 0, false
}

// dirsGiven reports whether script directories came from a flag or -config
// rather than the default.
func (f *switchFlags) dirsGiven() bool { return len(f.dirs) > 0 || f.config != "" }
