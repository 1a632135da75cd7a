package repl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/chzyer/readline"
)

// LoopOptions configure the interactive loop.
type LoopOptions struct {
	// Stdin is read line by line; when Terminal is false it may be a pipe
	// or a file (no prompts, no line editing).
	Stdin io.Reader
	// Terminal says Stdin and Stdout are a terminal: prompts, line
	// editing, history and completion.
	Terminal bool
	// HistoryFile keeps the lines typed, across sessions ("" keeps none).
	HistoryFile string
	// Interrupt delivers Ctrl-C (SIGINT) while a chunk runs: the chunk is
	// cancelled and the loop goes on. Nil: chunks cannot be interrupted.
	Interrupt <-chan os.Signal

	// noRaw keeps the real terminal out of raw mode (tests drive the
	// terminal mode with a pipe).
	noRaw bool
}

// Prompts of the loop: a new chunk, and a continuation line.
const (
	Prompt     = ">>> "
	MorePrompt = "... "
)

// Loop reads, evaluates and prints chunks until the input ends (Ctrl-D) or
// ctx is done. Starlark errors are printed and do not end the loop; an error
// is returned only when the input cannot be read.
func (r *REPL) Loop(ctx context.Context, lo LoopOptions) error {
	stdin := lo.Stdin
	if stdin == nil {
		stdin = os.Stdin
	}
	rc, ok := stdin.(io.ReadCloser)
	if !ok {
		rc = io.NopCloser(stdin)
	}
	cfg := &readline.Config{
		Prompt:          Prompt,
		HistoryFile:     lo.HistoryFile,
		AutoComplete:    completer{r},
		InterruptPrompt: "^C",
		EOFPrompt:       "",
		Stdin:           rc,
		Stdout:          r.opts.Stdout,
		Stderr:          r.opts.Stderr,
		FuncIsTerminal:  func() bool { return lo.Terminal },
	}
	if lo.noRaw || !lo.Terminal {
		cfg.FuncMakeRaw = func() error { return nil }
		cfg.FuncExitRaw = func() error { return nil }
	}
	if !lo.Terminal {
		// Piped input: no history of what a script fed us.
		cfg.HistoryFile = ""
		cfg.DisableAutoSaveHistory = true
	}
	rl, err := readline.NewEx(cfg)
	if err != nil {
		return fmt.Errorf("repl: %w", err)
	}
	defer rl.Close()
	for ctx.Err() == nil {
		err := r.rep(ctx, rl, lo.Interrupt)
		switch {
		case err == nil:
		case errors.Is(err, readline.ErrInterrupt):
			// Ctrl-C while typing drops the chunk.
		case errors.Is(err, io.EOF):
			return nil
		default:
			return err
		}
	}
	return nil
}

// rep reads one chunk (as many lines as it takes to complete it), runs it
// and prints the outcome. It returns an error only when reading failed.
func (r *REPL) rep(ctx context.Context, rl *readline.Instance, interrupt <-chan os.Signal) error {
	rl.SetPrompt(Prompt)
	var readErr error
	readLine := func() ([]byte, error) {
		line, err := rl.Readline()
		rl.SetPrompt(MorePrompt)
		if err != nil {
			readErr = err
			return nil, err
		}
		return []byte(line + "\n"), nil
	}
	f, err := r.fileOpts.ParseCompoundStmt("<stdin>", readLine)
	if readErr != nil {
		return readErr
	}
	if err != nil {
		PrintError(r.opts.Stderr, err)
		return nil
	}
	if len(f.Stmts) == 0 {
		return nil
	}
	// Each chunk has its own context, cancelled by Ctrl-C.
	cctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	drain(interrupt)
	if interrupt != nil {
		go func() {
			select {
			case <-interrupt:
				cancel(errors.New("interrupted (Ctrl-C)"))
			case <-cctx.Done():
			}
		}()
	}
	if err := r.run(cctx, f); err != nil {
		PrintError(r.opts.Stderr, err)
	}
	return nil
}

// drain drops interrupts that arrived while no chunk was running.
func drain(c <-chan os.Signal) {
	for {
		select {
		case <-c:
		default:
			return
		}
	}
}
