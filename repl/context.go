package repl

import (
	"context"
	"sync"
	"time"
)

// chunkContext is the Context of the session's one builtins.Call. Values
// made in one chunk (a Session, an EventConsumer, a Dbh handle) live for the
// whole session, so they belong to a Call that lasts as long; yet Ctrl-C
// must cancel what the running chunk waits for. chunkContext therefore
// stands for the running chunk's context while a chunk runs, and for the
// session's own context between chunks. Builtins read the Call's context
// each time they block, so a Session made in one chunk is interrupted by a
// Ctrl-C in a later one.
type chunkContext struct {
	mu   sync.Mutex
	base context.Context
	cur  context.Context
}

func newChunkContext(base context.Context) *chunkContext {
	return &chunkContext{base: base, cur: base}
}

// enter makes ctx the running chunk's context until the returned function
// is called.
func (c *chunkContext) enter(ctx context.Context) (leave func()) {
	c.mu.Lock()
	c.cur = ctx
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		c.cur = c.base
		c.mu.Unlock()
	}
}

func (c *chunkContext) current() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur
}

func (c *chunkContext) Deadline() (time.Time, bool) { return c.current().Deadline() }
func (c *chunkContext) Done() <-chan struct{}       { return c.current().Done() }
func (c *chunkContext) Err() error                  { return c.current().Err() }
func (c *chunkContext) Value(key any) any           { return c.current().Value(key) }
