package loader

import "strings"

// CycleError reports a load cycle: modules that load each other, directly
// or through others. It comes wrapped in the error of the module whose
// load() closed the cycle, with that load's position; errors.As finds it.
type CycleError struct {
	// Chain names the modules from the first one of the cycle back to
	// itself, e.g. ["a", "b", "a"].
	Chain []string
}

// Error returns "load cycle: a -> b -> a".
func (e *CycleError) Error() string { return "load cycle: " + strings.Join(e.Chain, " -> ") }
