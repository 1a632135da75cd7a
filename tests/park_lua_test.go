package tests

import "testing"

// TestParkMatchesLuaFreeSWITCH runs the differential suite with fsstar in
// park mode: each scenario's call is parked by its dialplan (the a-leg's
// inline `set:<app variable>=diff.<name>,park`) and fsstar drives it over
// inbound ESL. Scripts cannot tell the modes apart, so every scenario must
// match mod_lua exactly as it does through the socket (the same known
// differences apply).
func TestParkMatchesLuaFreeSWITCH(t *testing.T) {
	// Its own app variable: the far end's b-leg inherits fsstar_app
	// (loopback copies the originate's variables) and parks; it is not a
	// call for fsstar.
	differential(t, "park", []string{"-park", "-app-variable", parkAppVar}, func(_ *service, sc scenario) string {
		return "'set:" + parkAppVar + "=diff." + sc.name + ",park' inline fsstar_test"
	})
}
