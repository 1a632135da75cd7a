package tests

import (
	"testing"

	"github.com/fsstar/fsstar/internal/testutil"
)

// TestParkMatchesLuaFreeSWITCH runs the differential suite with fsstar in
// park mode: each scenario's call is parked by its dialplan (the a-leg's
// inline `set:<app variable>=diff.<name>,park` in context fsstar_test,
// entered with &transfer: see testutil.InlineApp) and fsstar drives it
// over inbound ESL. Scripts cannot tell the modes apart, so every scenario
// must match mod_lua exactly as it does through the socket (the same known
// differences apply).
func TestParkMatchesLuaFreeSWITCH(t *testing.T) {
	// Its own app variable: the far end's b-leg inherits fsstar_app
	// (loopback copies the originate's variables) and parks; it is not a
	// call for fsstar.
	differential(t, "park", []string{"-park", "-app-variable", parkAppVar}, func(_ *service, sc scenario) string {
		app, err := testutil.InlineApp("set:"+parkAppVar+"=diff."+sc.name+",park", "fsstar_test")
		if err != nil {
			// Called on the scenario's goroutine: no Fatal. The empty
			// app makes the originate fail and the scenario differ.
			t.Errorf("scenario %s: %v", sc.name, err)
		}
		return app
	})
}
