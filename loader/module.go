package loader

import (
	"time"

	"go.starlark.net/starlark"
)

// Module is an immutable snapshot of one loaded module. Calls hold on to
// the *Module they started with, so a reload never changes what a running
// call sees.
type Module struct {
	// Name is the dotted module name, e.g. "ivr.main".
	Name string
	// Path is the file the module was compiled from.
	Path string
	// Globals are the module's globals, frozen.
	Globals starlark.StringDict
	// Hash is the hex SHA-256 of the source.
	Hash string
	// Version increases by one with every module the loader builds.
	Version uint64
	// LoadedAt is when this version finished loading.
	LoadedAt time.Time
	// Deps are the modules this version loaded, in load() order.
	Deps []*Module
}

// DepNames returns the names of the direct dependencies.
func (m *Module) DepNames() []string {
	names := make([]string, len(m.Deps))
	for i, d := range m.Deps {
		names[i] = d.Name
	}
	return names
}
