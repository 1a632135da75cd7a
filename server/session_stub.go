package server

// A minimal stand-in for builtins' Session until the session branch is
// merged: enough of mod_python's session for the server's own tests.

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.starlark.net/starlark"

	"github.com/fsstar/fsstar/builtins"
	"github.com/fsstar/fsstar/esl"
)

type stubSession struct {
	call *builtins.Call
	conn *esl.Conn

	mu          sync.Mutex
	auto        bool
	transferred bool
	hook        starlark.Callable
	hookArgs    starlark.Value
	hookTaken   bool
}

func newStubSession(call *builtins.Call, conn *esl.Conn) *stubSession {
	return &stubSession{call: call, conn: conn, auto: true}
}

func (s *stubSession) String() string        { return fmt.Sprintf("<session %s>", s.conn.UUID()) }
func (s *stubSession) Type() string          { return "Session" }
func (s *stubSession) Freeze()               {}
func (s *stubSession) Truth() starlark.Bool  { return true }
func (s *stubSession) Hash() (uint32, error) { return 0, errors.New("unhashable: Session") }

func (s *stubSession) AutoHangup() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.auto
}

func (s *stubSession) Transferred() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.transferred
}

func (s *stubSession) Ready() bool {
	select {
	case <-s.conn.Done():
		return false
	default:
		return true
	}
}

func (s *stubSession) HangupWhat() string {
	if s.Transferred() {
		return "transfer"
	}
	return "hangup"
}

func (s *stubSession) TakeHangupHook() (starlark.Callable, starlark.Value, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hook == nil || s.hookTaken {
		return nil, nil, false
	}
	s.hookTaken = true
	return s.hook, s.hookArgs, true
}

var stubMethods = []string{"answer", "execute", "getVariable", "hangup", "hangupCause", "ready",
	"setAutoHangup", "setHangupHook", "setVariable", "sleep", "streamFile", "transfer", "uuid"}

func (s *stubSession) AttrNames() []string { return stubMethods }

func (s *stubSession) Attr(name string) (starlark.Value, error) {
	if name == "uuid" {
		return starlark.String(s.conn.UUID()), nil
	}
	fn, ok := map[string]func(context.Context, starlark.Tuple, []starlark.Tuple) (starlark.Value, error){
		"answer": func(ctx context.Context, a starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
			return s.exec(ctx, "answer", "")
		},
		"execute": func(ctx context.Context, a starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
			var app, arg string
			if err := starlark.UnpackArgs("execute", a, kw, "app", &app, "data?", &arg); err != nil {
				return nil, err
			}
			if app == "transfer" || app == "park" {
				s.mu.Lock()
				s.transferred = true
				s.mu.Unlock()
			}
			return s.exec(ctx, app, arg)
		},
		"streamFile": func(ctx context.Context, a starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
			var file string
			if err := starlark.UnpackArgs("streamFile", a, kw, "file", &file); err != nil {
				return nil, err
			}
			return s.exec(ctx, "playback", file)
		},
		"sleep": func(ctx context.Context, a starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
			var ms int
			if err := starlark.UnpackArgs("sleep", a, kw, "ms", &ms); err != nil {
				return nil, err
			}
			return s.exec(ctx, "sleep", fmt.Sprint(ms))
		},
		"setVariable": func(ctx context.Context, a starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
			var k, v string
			if err := starlark.UnpackArgs("setVariable", a, kw, "name", &k, "value", &v); err != nil {
				return nil, err
			}
			return starlark.None, s.conn.SetVar(ctx, k, v)
		},
		"getVariable": func(ctx context.Context, a starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
			var k string
			if err := starlark.UnpackArgs("getVariable", a, kw, "name", &k); err != nil {
				return nil, err
			}
			v, ok, err := s.conn.GetVar(ctx, k)
			if err != nil || !ok {
				return starlark.None, err
			}
			return starlark.String(v), nil
		},
		"hangup": func(ctx context.Context, a starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
			cause := "NORMAL_CLEARING"
			if err := starlark.UnpackArgs("hangup", a, kw, "cause?", &cause); err != nil {
				return nil, err
			}
			return starlark.None, s.conn.Hangup(ctx, cause)
		},
		"hangupCause": func(ctx context.Context, a starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
			return starlark.String(hangupCause(s.conn)), nil
		},
		"ready": func(ctx context.Context, a starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
			return starlark.Bool(s.Ready()), nil
		},
		"setAutoHangup": func(ctx context.Context, a starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
			var on bool
			if err := starlark.UnpackArgs("setAutoHangup", a, kw, "on", &on); err != nil {
				return nil, err
			}
			s.mu.Lock()
			s.auto = on
			s.mu.Unlock()
			return starlark.None, nil
		},
		"setHangupHook": func(ctx context.Context, a starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
			var fn starlark.Callable
			var args starlark.Value
			if err := starlark.UnpackArgs("setHangupHook", a, kw, "fn", &fn, "args?", &args); err != nil {
				return nil, err
			}
			s.mu.Lock()
			s.hook, s.hookArgs = fn, args
			s.mu.Unlock()
			return starlark.None, nil
		},
		"transfer": func(ctx context.Context, a starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
			var ext, dp, dctx string
			if err := starlark.UnpackArgs("transfer", a, kw, "extension", &ext, "dialplan?", &dp, "context?", &dctx); err != nil {
				return nil, err
			}
			s.mu.Lock()
			s.transferred = true
			s.mu.Unlock()
			arg := ext
			if dp != "" {
				arg += " " + dp
				if dctx != "" {
					arg += " " + dctx
				}
			}
			return s.exec(ctx, "transfer", arg)
		},
	}[name]
	if !ok {
		return nil, nil
	}
	return starlark.NewBuiltin("session."+name, func(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		ctx := context.Background()
		if c := builtins.CallOf(th); c != nil && c.Context != nil {
			ctx = c.Context
		}
		return fn(ctx, args, kwargs)
	}), nil
}

func (s *stubSession) exec(ctx context.Context, app, arg string) (starlark.Value, error) {
	if _, err := s.conn.Execute(ctx, app, arg); err != nil {
		return nil, err
	}
	return starlark.None, nil
}
