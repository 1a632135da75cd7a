package builtins

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fsstar/fsstar/esl"
	"go.starlark.net/starlark"
)

func (s *Session) sendEvent(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var e *Event
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "sendME", &e); err != nil {
		return nil, err
	}
	if err := s.begin(fn); err != nil {
		return nil, s.hungUpErr(fn, err)
	}
	ev := &esl.Event{Headers: append(esl.Headers(nil), e.ev.Headers...), Body: append([]byte(nil), e.ev.Body...)}
	ev.Headers.Set("Unique-ID", s.uuid)
	if err := s.ctl.sendEvent(s.call.ctx(), ev); err != nil {
		return nil, s.hungUpErr(fn, s.fail(fn, err))
	}
	return starlark.None, nil
}

// dump returns the channel's data ("api uuid_dump <uuid> json").
func (s *Session) dump(fn *starlark.Builtin) (*esl.Event, error) {
	if err := s.begin(fn); err != nil {
		if errors.Is(err, errGone) {
			s.mu.Lock()
			final := s.final
			s.mu.Unlock()
			if final != nil {
				return final, nil
			}
			return nil, s.hungUpErr(fn, err)
		}
		return nil, err
	}
	out, err := s.api(fn, "uuid_dump "+s.uuid+" json")
	if err != nil {
		return nil, s.hungUpErr(fn, err)
	}
	ev, err := esl.ParseJSON([]byte(out))
	if err != nil {
		return nil, fmt.Errorf("%s: uuid_dump: %v", fn.Name(), err)
	}
	return ev, nil
}

func (s *Session) setEventData(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var e *Event
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "e", &e); err != nil {
		return nil, err
	}
	if err := e.checkMutable(fn); err != nil {
		return nil, err
	}
	d, err := s.dump(fn)
	if err != nil {
		return nil, err
	}
	for _, h := range d.Headers {
		if strings.HasPrefix(h.Name, "Event-") || h.Name == "Core-UUID" || strings.HasPrefix(h.Name, "FreeSWITCH-") {
			continue
		}
		e.ev.Headers.Add(h.Name, h.Value)
	}
	return starlark.None, nil
}

func (s *Session) getXMLCDR(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fn, args, kwargs); err != nil {
		return nil, err
	}
	d, err := s.dump(fn)
	if err != nil {
		return nil, err
	}
	return starlark.String(xmlCDR(d)), nil // the shape of the switch's XML CDR, as mod_lua's
}
