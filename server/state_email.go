package server

import (
	"fmt"

	"github.com/fsstar/fsstar/builtins"
	"github.com/fsstar/fsstar/builtins/lib/state"
	"github.com/fsstar/fsstar/esl"
)

// configureStateEmail gives the builtins the state backend of the config
// (state-backend) and the SMTP settings of freeswitch.email. The hash
// backend uses the first switch's shared inbound connection, whichever it
// is at the time of each operation. The store is closed by closeAll.
func (s *Server) configureStateEmail(o *builtins.Options, cfg Config) error {
	switch cfg.StateBackend {
	case "", "memory":
		o.State = state.NewMemory(cfg.StateMaxEntries, nil)
	case "hash":
		o.State = state.NewHash(func() *esl.Client { return s.client.Load() }, "", nil)
	case "postgres":
		if cfg.StateDSN == "" {
			return fmt.Errorf("server: state-backend postgres needs state-dsn")
		}
		p, err := state.OpenPostgres(cfg.StateDSN)
		if err != nil {
			return fmt.Errorf("server: %w", err)
		}
		o.State = p
	default:
		return fmt.Errorf("server: state-backend %q: want memory, hash or postgres", cfg.StateBackend)
	}
	o.Email = builtins.EmailOptions{
		Server:         cfg.SMTPServer,
		Username:       cfg.SMTPUsername,
		Password:       cfg.SMTPPassword,
		StartTLS:       cfg.SMTPStartTLS,
		From:           cfg.SMTPFrom,
		AttachmentDirs: cfg.SMTPAttachmentDirs,
		Timeout:        cfg.SMTPTimeout,
	}
	return nil
}
