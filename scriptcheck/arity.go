package scriptcheck

import (
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/fsstar/fsstar/engine"
	"github.com/fsstar/fsstar/loader"
)

// entryPoints checks the arity of the module's own top-level functions
// named as entry points (handler, fsapi, runtime, xml_fetch; test_* in a
// *_test.star file) with the engine's own check, so `fsstar check` says
// exactly what a call would.
func (c *checker) entryPoints(sf scriptFile, m *loader.Module) {
	isTest := strings.HasSuffix(sf.path, "_test.star")
	for name, v := range m.Globals {
		fn, ok := v.(*starlark.Function)
		if !ok || !samePath(fn.Position().Filename(), sf.path) {
			continue // not a function, or one this module loaded
		}
		n, signature, ok := engine.EntrySignature(name)
		if isTest && strings.HasPrefix(name, "test_") {
			n, signature, ok = 1, name+"(t)", true
		}
		if !ok {
			continue
		}
		if err := engine.CheckArity(fn, n, signature); err != nil {
			pos := fn.Position() // the def; named as the file was given
			c.add(syntax.MakePosition(&sf.path, pos.Line, pos.Col), "%v", err)
		}
	}
}
