package builtins

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/fsstar/fsstar/esl"
	"github.com/hashicorp/go-hclog"
	"go.starlark.net/starlark"
)

// DefaultConsumerQueue is the queue size of an EventConsumer when none is
// given: past it new events are dropped (and logged) until the script pops,
// as the switch's consumer drops them.
const DefaultConsumerQueue = 5000

// consumer is an EventConsumer: events asked of the switch on the inbound
// client, queued (bounded) until the script pops them.
type consumer struct {
	client *esl.Client
	call   *Call
	size   int

	mu     sync.Mutex
	names  []string // Match.Names; empty with all
	all    bool
	sub    *esl.Subscription
	moved  []*esl.Event // events queued by a subscription bind replaced
	closed bool
	holds  []func(context.Context) error // the switch-side subscriptions it holds (esl.Client.Hold)
}

var _ starlark.HasAttrs = (*consumer)(nil)

func (c *consumer) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.all {
		return "<EventConsumer all>"
	}
	return "<EventConsumer " + strings.Join(c.names, " ") + ">"
}
func (c *consumer) Type() string          { return "EventConsumer" }
func (c *consumer) Freeze()               {}
func (c *consumer) Truth() starlark.Bool  { return starlark.True }
func (c *consumer) Hash() (uint32, error) { return 0, errors.New("unhashable type: EventConsumer") }

// consumerMethods are the Starlark methods of an EventConsumer.
var consumerMethods = methods[*consumer]{
	"bind":    (*consumer).bind,
	"pop":     (*consumer).pop,
	"cleanup": (*consumer).cleanup,
}

// Attr returns the method called name (consumerMethods).
func (c *consumer) Attr(name string) (starlark.Value, error) {
	return consumerMethods.attr(c, "EventConsumer", name)
}

// AttrNames lists the methods of consumerMethods.
func (c *consumer) AttrNames() []string { return consumerMethods.names() }

// newConsumer is freeswitch.EventConsumer(event_name="", subclass="", queue_len=5000).
func (e *env) newConsumer(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name, subclass string
	size := DefaultConsumerQueue
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "event_name?", &name, "subclass?", &subclass, "queue_len?", &size); err != nil {
		return nil, err
	}
	if size < 1 || size > 1_000_000 {
		return nil, fmt.Errorf("%s: queue_len %d is out of range (1 to 1000000)", fn.Name(), size)
	}
	call := CallOf(thread)
	client := e.client(call)
	if client == nil {
		return nil, fmt.Errorf("%s: %w", fn.Name(), errNoClient)
	}
	c := &consumer{client: client, call: call, size: size}
	if call != nil {
		call.OnClose(func() error { c.close(); return nil })
	}
	if name != "" {
		if err := c.add(fn, name, subclass); err != nil {
			c.close()
			return nil, err
		}
	}
	return c, nil
}

func (c *consumer) bind(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name, subclass string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "event_name", &name, "subclass?", &subclass); err != nil {
		return nil, err
	}
	if err := c.add(fn, name, subclass); err != nil {
		return nil, err
	}
	return starlark.MakeInt(1), nil // as mod_lua's bind (True == 1 is False in Starlark)
}

// add asks the switch for name (and subclass) and widens the consumer's
// subscription to it. Events queued so far are kept, in order.
func (c *consumer) add(fn *starlark.Builtin, name, subclass string) error {
	if strings.ContainsAny(name+subclass, " \t\r\n") || name == "" {
		return fmt.Errorf("%s: invalid event name %q / subclass %q", fn.Name(), name, subclass)
	}
	upper := strings.ToUpper(name)
	if subclass != "" {
		upper = "CUSTOM"
	} else if _, ok := eventName(upper); !ok && upper != "ALL" {
		return fmt.Errorf("%s: unknown event name %q", fn.Name(), name)
	}
	wire := []string{upper}
	if subclass != "" {
		wire = append(wire, subclass)
	}
	release, err := c.client.Hold(c.call.ctx(), wire...)
	if err != nil {
		return fmt.Errorf("%s: %w", fn.Name(), err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		go releaseHold(release)
		return fmt.Errorf("%s: the consumer was cleaned up", fn.Name())
	}
	c.holds = append(c.holds, release)
	match := subclass
	if match == "" {
		match = upper
	}
	switch {
	case upper == "ALL":
		c.all = true
	default:
		c.names = append(c.names, match)
	}
	m := esl.Match{Names: c.names, Buffer: c.size}
	if c.all {
		m.Names = nil
	}
	old := c.sub
	c.sub = c.client.Listen(m)
	if old != nil {
		for ev := old.TryNext(); ev != nil; ev = old.TryNext() {
			c.moved = append(c.moved, ev)
		}
		old.Close()
	}
	return nil
}

// pop(block=0, timeout=0): the next event, or None. Without block it does
// not wait; with block it waits up to timeout ms (0: until the call ends).
func (c *consumer) pop(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var block, timeout int
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "block?", &block, "timeout?", &timeout); err != nil {
		return nil, err
	}
	if timeout < 0 || time.Duration(timeout) > maxSleep/time.Millisecond {
		return nil, fmt.Errorf("%s: timeout %d ms is out of range", fn.Name(), timeout)
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, fmt.Errorf("%s: the consumer was cleaned up", fn.Name())
	}
	if len(c.moved) > 0 {
		ev := c.moved[0]
		c.moved = c.moved[1:]
		c.mu.Unlock()
		return NewEvent(ev), nil
	}
	sub := c.sub
	c.mu.Unlock()
	if sub == nil {
		return nil, fmt.Errorf("%s: the consumer is bound to no event (bind first)", fn.Name())
	}
	ctx := c.call.ctx()
	if block != 0 && timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(timeout)*time.Millisecond)
		defer cancel()
	}
	for {
		if ev := sub.TryNext(); ev != nil {
			return NewEvent(ev), nil
		}
		if err := sub.Err(); err != nil {
			var renewErr error
			if sub, renewErr = c.renew(fn, sub, err); renewErr != nil {
				return nil, renewErr
			}
			if errors.Is(err, esl.ErrConnLost) && block != 0 {
				// Wait for the connection to come back, bounded by the
				// pop's deadline.
				select {
				case <-ctx.Done():
				case <-time.After(100 * time.Millisecond):
				}
			}
		}
		if block == 0 {
			return starlark.None, nil
		}
		if ctx.Err() == nil {
			ev, err := sub.Next(ctx)
			if err == nil {
				return NewEvent(ev), nil
			}
			if ctx.Err() == nil {
				continue // the subscription ended: renewed above
			}
		}
		if cerr := c.call.ctx().Err(); cerr != nil {
			return nil, fmt.Errorf("%s: interrupted: %w", fn.Name(), context.Cause(c.call.ctx()))
		}
		return starlark.None, nil // the timeout
	}
}

// renew replaces the consumer's subscription after it ended by why (its
// queue drained): as the switch's consumer drops the events that find its
// queue full and goes on, the consumer goes on with a new subscription (the
// events meanwhile are lost, and logged as such); after a lost connection
// the new one gets the events once the client is back. A consumer cleaned
// up is an error.
func (c *consumer) renew(fn *starlark.Builtin, sub *esl.Subscription, why error) (*esl.Subscription, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, fmt.Errorf("%s: the consumer was cleaned up", fn.Name())
	}
	if c.sub != sub {
		return c.sub, nil // renewed already (by bind)
	}
	if errors.Is(why, esl.ErrOverflow) {
		log := hclog.NewNullLogger()
		if c.call != nil && c.call.Logger != nil {
			log = c.call.Logger
		}
		log.Warn("EventConsumer queue was full: events were dropped, as the switch drops them", "queue_len", c.size)
	}
	m := esl.Match{Names: c.names, Buffer: c.size}
	if c.all {
		m.Names = nil
	}
	c.sub = c.client.Listen(m)
	return c.sub, nil
}

func (c *consumer) cleanup(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs); err != nil {
		return nil, err
	}
	c.close()
	return starlark.None, nil
}

// close drops the queue and ends the consumer's holds on the switch-side
// subscriptions: one that no other holder (or fsstar itself) needs is
// nixed, so the shared inbound connection stops receiving those events.
func (c *consumer) close() {
	c.mu.Lock()
	sub, holds := c.sub, c.holds
	c.sub, c.moved, c.closed, c.holds = nil, nil, true, nil
	c.mu.Unlock()
	if sub != nil {
		sub.Close()
	}
	for _, release := range holds {
		releaseHold(release)
	}
}

// releaseHold ends a subscription hold, bounded in time (the call's
// context may be gone already).
func releaseHold(release func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = release(ctx) // a lost connection forgets its subscriptions anyway
}
