package repl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

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
	var lr lineReader
	if lo.Terminal {
		rl, err := newReadline(rc, lo, r)
		if err != nil {
			return err
		}
		lr = rl
	} else {
		// Piped input is read as it is: no prompts, no history, and a tab
		// is indentation, not completion.
		lr = &plainReader{r: bufio.NewReader(rc)}
	}
	defer lr.Close()
	for ctx.Err() == nil {
		err := r.rep(ctx, lr, lo.Interrupt)
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
func (r *REPL) rep(ctx context.Context, rl lineReader, interrupt <-chan os.Signal) error {
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

// lineReader is what the loop reads lines from: readline on a terminal,
// plainReader otherwise.
type lineReader interface {
	Readline() (string, error)
	SetPrompt(string)
	Close() error
}

// newReadline sets up line editing, history and completion on a terminal.
func newReadline(stdin io.ReadCloser, lo LoopOptions, r *REPL) (*readline.Instance, error) {
	cfg := &readline.Config{
		Prompt:          Prompt,
		HistoryFile:     lo.HistoryFile,
		AutoComplete:    completer{r},
		InterruptPrompt: "^C",
		Stdin:           stdin,
		Stdout:          r.opts.Stdout,
		Stderr:          r.opts.Stderr,
		FuncIsTerminal:  func() bool { return true },
		FuncGetWidth: func() int {
			if w := readline.GetScreenWidth(); w > 0 {
				return w
			}
			return 80
		},
	}
	if lo.noRaw {
		cfg.FuncMakeRaw = func() error { return nil }
		cfg.FuncExitRaw = func() error { return nil }
	}
	rl, err := readline.NewEx(cfg)
	if err != nil {
		return nil, fmt.Errorf("repl: %w", err)
	}
	return rl, nil
}

// plainReader reads lines from a pipe or a file. At the end of the input
// it returns one empty line before io.EOF, so that a block the input ends
// in (a def without a blank line after it) still runs.
type plainReader struct {
	r    *bufio.Reader
	err  error
	done bool
}

func (p *plainReader) Readline() (string, error) {
	if p.err != nil {
		if !p.done {
			p.done = true
			return "", nil
		}
		return "", p.err
	}
	line, err := p.r.ReadString('\n')
	if err != nil {
		p.err = err
		if line == "" {
			return p.Readline()
		}
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func (p *plainReader) SetPrompt(string) {}

func (p *plainReader) Close() error { return nil }
