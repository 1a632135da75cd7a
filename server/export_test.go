package server

import (
	dto "github.com/prometheus/client_model/go"
	"go.starlark.net/starlark"
)

// What the tests of package server_test (the ones that run a server with
// servertest) read of the server's insides, as net/http's export_test.go
// does: these names exist only in the test binary. Tests of one unexported
// function stay in package server (*_internal_test.go and the others).

// Channel variables and the mod_hash realm of the orphan scan and park
// mode.
const (
	InstanceVar = instanceVar
	SlotVar     = slotVar
	ResumeVar   = resumeVar
	ClaimRealm  = claimRealm
)

// AliveVar is the global variable of an instance's heartbeat.
func AliveVar(instance string) string { return aliveVar(instance) }

// WithPredeclared adds names to every module's predeclared set (a builtin
// that panics).
func WithPredeclared(d starlark.StringDict) Option { return withPredeclared(d) }

// ChangedFields lists the fields of b that differ from a.
func ChangedFields(a, b Config) []string { return changedFields(a, b) }

// SetParam sets p on c from the text v, as one occurrence in the
// configuration file does (a list param starts over).
func SetParam(p Param, c *Config, v string) error {
	if p.reset != nil {
		p.reset(c)
	}
	return p.set(c, v)
}

// Instance is the id with which s marks the channels it controls.
func (s *Server) Instance() string { return s.instance }

// ActiveCalls is the number of calls whose handler runs.
func (s *Server) ActiveCalls() int64 { return s.metrics.active.Load() }

// ParkClaims is the value of fsstar_park_claims_total{outcome}.
func (s *Server) ParkClaims(outcome string) float64 {
	var m dto.Metric
	if err := s.metrics.parkClaims.WithLabelValues(outcome).Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}

// Kill drops every connection and stops the heartbeat without a drain: the
// instance died.
func (s *Server) Kill() { s.closeAll() }

// Switches is how many switches s serves.
func (s *Server) Switches() int { return len(s.links) }

// ParkStarted reports whether park mode has subscribed on the i-th switch.
func (s *Server) ParkStarted(i int) bool {
	l := s.links[i]
	return l.park != nil && l.park.started.Load()
}

// CoreUUID is the Core-UUID of the i-th switch, once connected.
func (s *Server) CoreUUID(i int) string { return s.links[i].coreUUID() }
