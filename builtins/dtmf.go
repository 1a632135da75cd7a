package builtins

import (
	"fmt"
	"strconv"

	"github.com/fsstar/fsstar/esl"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// DTMF is the Starlark value of one DTMF digit (freeswitch.DTMF), as an
// input callback receives it: attributes digit (a one-character string) and
// duration (in samples, as the DTMF-Duration header of the switch's DTMF
// event gives it; 0 when unknown). It is immutable and hashable.
type DTMF struct {
	Digit    string
	Duration int
}

var (
	_ starlark.HasAttrs   = DTMF{}
	_ starlark.Comparable = DTMF{}
)

// NewDTMF returns the DTMF value for digit (0-9, *, #, A-D) and its duration in samples.
func NewDTMF(digit string, duration int) (DTMF, error) {
	if len(digit) != 1 || !isDTMFDigit(digit[0]) {
		return DTMF{}, fmt.Errorf("invalid DTMF digit %q (want one of 0-9 * # A-D)", digit)
	}
	if duration < 0 {
		return DTMF{}, fmt.Errorf("negative DTMF duration %d", duration)
	}
	d := digit[0]
	if d >= 'a' && d <= 'd' {
		d -= 'a' - 'A'
	}
	return DTMF{Digit: string(d), Duration: duration}, nil
}

// DTMFFromEvent returns the DTMF value of a DTMF event (headers DTMF-Digit
// and DTMF-Duration), as the Session hands it to an input callback.
func DTMFFromEvent(ev *esl.Event) (DTMF, error) {
	duration := 0
	if s := ev.Get("DTMF-Duration"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return DTMF{}, fmt.Errorf("DTMF event: bad DTMF-Duration %q", s)
		}
		duration = n
	}
	d, err := NewDTMF(ev.Get("DTMF-Digit"), duration)
	if err != nil {
		return DTMF{}, fmt.Errorf("DTMF event: %v", err)
	}
	return d, nil
}

func isDTMFDigit(c byte) bool {
	return c >= '0' && c <= '9' || c == '*' || c == '#' || c >= 'A' && c <= 'D' || c >= 'a' && c <= 'd'
}

func newDTMF(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var digit string
	duration := 2000 // SWITCH_DEFAULT_DTMF_DURATION, as mod_lua's DTMF(digit, duration=2000)
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "digit", &digit, "duration?", &duration); err != nil {
		return nil, err
	}
	d, err := NewDTMF(digit, duration)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", fn.Name(), err)
	}
	return d, nil
}

func (d DTMF) String() string {
	return fmt.Sprintf("DTMF(%q, duration=%d)", d.Digit, d.Duration)
}
func (d DTMF) Type() string         { return "DTMF" }
func (d DTMF) Freeze()              {}
func (d DTMF) Truth() starlark.Bool { return starlark.True }
func (d DTMF) Hash() (uint32, error) {
	h, _ := starlark.String(d.Digit).Hash()
	return h ^ uint32(d.Duration)*16777619, nil
}

func (d DTMF) Attr(name string) (starlark.Value, error) {
	switch name {
	case "digit":
		return starlark.String(d.Digit), nil
	case "duration":
		return starlark.MakeInt(d.Duration), nil
	}
	return nil, nil
}

func (d DTMF) AttrNames() []string { return []string{"digit", "duration"} }

func (d DTMF) CompareSameType(op syntax.Token, y starlark.Value, depth int) (bool, error) {
	var o DTMF
	switch y := y.(type) {
	case DTMF:
		o = y
	case *DTMF:
		o = *y
	default:
		return false, fmt.Errorf("%s: cannot compare DTMF with %s", op, y.Type())
	}
	switch op {
	case syntax.EQL:
		return d == o, nil
	case syntax.NEQ:
		return d != o, nil
	}
	return false, fmt.Errorf("%s not supported for DTMF", op)
}
