package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.starlark.net/starlark"

	"github.com/fsstar/fsstar/builtins"
	"github.com/fsstar/fsstar/esl"
	"github.com/fsstar/fsstar/loader"
)

// jobs tracks the runtime jobs running in the background.
type jobs struct {
	mu      sync.Mutex
	running map[string]context.CancelCauseFunc
	wg      sync.WaitGroup
	closed  bool
}

func newJobs() *jobs { return &jobs{running: map[string]context.CancelCauseFunc{}} }

func (j *jobs) cancelAll() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.closed = true
	for _, c := range j.running {
		c(ErrShutdown)
	}
}

func (j *jobs) wait() { j.wg.Wait() }

// StartJob starts runtime(args) of module in the background, under the
// server's cancellation (a shutdown cancels it), and returns its job id.
func (s *Server) StartJob(module, args string) (string, error) {
	if _, _, err := loader.ParseSpec(module); err != nil {
		return "", err
	}
	id := uuid.NewString()
	ctx, cancel := context.WithCancelCause(s.base)
	s.jobs.mu.Lock()
	if s.jobs.closed {
		s.jobs.mu.Unlock()
		cancel(ErrShutdown)
		return "", ErrShutdown
	}
	s.jobs.running[id] = cancel
	s.jobs.wg.Add(1)
	s.jobs.mu.Unlock()
	s.metrics.jobs.Add(1)
	go func() {
		defer s.jobs.wg.Done()
		defer func() {
			s.jobs.mu.Lock()
			delete(s.jobs.running, id)
			s.jobs.mu.Unlock()
			cancel(nil)
			s.metrics.jobs.Add(-1)
		}()
		if _, err := s.RunJob(ctx, id, module, args); err != nil {
			s.log.Info("runtime job ended with an error", "job", id, "module", module, "error", err)
		}
	}()
	return id, nil
}

// RunJob runs runtime(args) of module and waits for it; id names the run in
// logs ("" makes one up). `fsstar run` and POST /run/ use it.
func (s *Server) RunJob(ctx context.Context, id, module, args string) (starlark.Value, error) {
	if _, _, err := loader.ParseSpec(module); err != nil {
		return nil, err
	}
	if id == "" {
		id = uuid.NewString()
	}
	run, info := s.newRun(ctx, id, module)
	defer run.Close()
	return s.eng.Runtime(ctx, info, starlark.String(args))
}

// FSAPI runs fsapi(None, stream, env, args) of module and returns what the
// script wrote to the stream. env may be nil (an empty event is passed).
// `fsstar api` and GET/POST /api/ use it.
func (s *Server) FSAPI(ctx context.Context, module, args string, env *esl.Event) (string, error) {
	if _, _, err := loader.ParseSpec(module); err != nil {
		return "", err
	}
	if env == nil {
		env = esl.NewEvent("API", "")
	}
	id := uuid.NewString()
	stream := builtins.NewStream(int(s.Config().MaxBodyBytes))
	run, info := s.newRun(ctx, id, module)
	defer run.Close()
	_, err := s.eng.FSAPI(ctx, info, starlark.None, stream, builtins.NewEvent(env), starlark.String(args))
	return stream.Data(), err
}

// XMLFetch answers one mod_xml_curl request with the xml-handler-script's
// xml_fetch(params): the document, or the standard "not found" one when the
// section is not bound, the script returns None, fails or misses the
// xml-fetch-timeout. found reports which.
func (s *Server) XMLFetch(ctx context.Context, params map[string]string, order []string) (doc string, found bool, err error) {
	cfg := s.Config()
	section := params["section"]
	if cfg.XMLHandlerScript == "" || !bound(cfg.XMLHandlerBindings, section) {
		return NotFoundXML, false, nil
	}
	ctx, cancel := context.WithTimeoutCause(ctx, cfg.XMLFetchTimeout, errors.New("xml-fetch-timeout reached"))
	defer cancel()
	// params is an Event, as mod_python's (params.getHeader("section")),
	// that reads like a dict too (params["section"]).
	ev := &esl.Event{}
	for _, k := range order {
		ev.Headers.Add(k, params[k])
	}
	d := builtins.NewParams(ev)
	id := uuid.NewString()
	run, info := s.newRun(ctx, id, cfg.XMLHandlerScript)
	defer run.Close()
	info.Fields = []any{"section", section, "key_value", params["key_value"]}
	start := time.Now()
	v, err := s.eng.XMLFetch(ctx, info, d)
	s.metrics.xmlFetch.WithLabelValues(section).Observe(time.Since(start).Seconds())
	if err != nil {
		return NotFoundXML, false, err
	}
	switch v := v.(type) {
	case starlark.NoneType:
		return NotFoundXML, false, nil
	case starlark.String:
		if strings.TrimSpace(string(v)) == "" {
			return NotFoundXML, false, nil
		}
		if int64(len(v)) > cfg.MaxBodyBytes {
			return NotFoundXML, false, fmt.Errorf("%s::xml_fetch returned %d bytes, more than max-body-bytes (%d)", cfg.XMLHandlerScript, len(v), cfg.MaxBodyBytes)
		}
		return string(v), true, nil
	default:
		return NotFoundXML, false, fmt.Errorf("%s::xml_fetch returned %s, want a string or None", cfg.XMLHandlerScript, v.Type())
	}
}

// NotFoundXML is the document that tells mod_xml_curl to fall back to the
// switch's static XML.
const NotFoundXML = `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<document type="freeswitch/xml">
  <section name="result">
    <result status="not found" />
  </section>
</document>
`

func bound(bindings []string, section string) bool {
	for _, b := range bindings {
		if b == section {
			return true
		}
	}
	return false
}
