package server

import (
	"io"
	"log"
	"sync"

	"github.com/hashicorp/go-hclog"
	"go.starlark.net/starlark"

	"github.com/fsstar/fsstar/engine"
)

// lazyLogger is a call's logger (engine.Logger of its thread: uuid, module
// and function fields) built only when something logs. Building it costs
// an hclog With per call, and most calls never log: the benchmark's CPU
// profile (issue 8) showed the eager build at about 7% of fsstar's CPU on
// xml_fetch.
type lazyLogger struct {
	once   sync.Once
	thread *starlark.Thread
	l      hclog.Logger
}

func newLazyLogger(thread *starlark.Thread) *lazyLogger { return &lazyLogger{thread: thread} }

func (z *lazyLogger) get() hclog.Logger {
	z.once.Do(func() {
		z.l = engine.Logger(z.thread)
		z.thread = nil
	})
	return z.l
}

func (z *lazyLogger) Log(level hclog.Level, msg string, args ...any) {
	z.get().Log(level, msg, args...)
}
func (z *lazyLogger) Trace(msg string, args ...any)       { z.get().Trace(msg, args...) }
func (z *lazyLogger) Debug(msg string, args ...any)       { z.get().Debug(msg, args...) }
func (z *lazyLogger) Info(msg string, args ...any)        { z.get().Info(msg, args...) }
func (z *lazyLogger) Warn(msg string, args ...any)        { z.get().Warn(msg, args...) }
func (z *lazyLogger) Error(msg string, args ...any)       { z.get().Error(msg, args...) }
func (z *lazyLogger) IsTrace() bool                       { return z.get().IsTrace() }
func (z *lazyLogger) IsDebug() bool                       { return z.get().IsDebug() }
func (z *lazyLogger) IsInfo() bool                        { return z.get().IsInfo() }
func (z *lazyLogger) IsWarn() bool                        { return z.get().IsWarn() }
func (z *lazyLogger) IsError() bool                       { return z.get().IsError() }
func (z *lazyLogger) ImpliedArgs() []any                  { return z.get().ImpliedArgs() }
func (z *lazyLogger) With(args ...any) hclog.Logger       { return z.get().With(args...) }
func (z *lazyLogger) Name() string                        { return z.get().Name() }
func (z *lazyLogger) Named(name string) hclog.Logger      { return z.get().Named(name) }
func (z *lazyLogger) ResetNamed(name string) hclog.Logger { return z.get().ResetNamed(name) }
func (z *lazyLogger) SetLevel(level hclog.Level)          { z.get().SetLevel(level) }
func (z *lazyLogger) GetLevel() hclog.Level               { return z.get().GetLevel() }
func (z *lazyLogger) StandardLogger(o *hclog.StandardLoggerOptions) *log.Logger {
	return z.get().StandardLogger(o)
}
func (z *lazyLogger) StandardWriter(o *hclog.StandardLoggerOptions) io.Writer {
	return z.get().StandardWriter(o)
}
