package builtins

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.starlark.net/lib/json"
	"go.starlark.net/starlark"
)

// parityRow is one row of the parity table of docs/api.md.
type parityRow struct {
	id, reference, status, why string
	names                      []string // "Session.answer", "freeswitch.Event", ...
}

// readParityTables returns the rows of the parity table and the names of
// the table of fsstar's extra names, from docs/api.md.
func readParityTables(t *testing.T) ([]parityRow, []string) {
	t.Helper()
	doc, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatalf("reading the parity table: %v", err)
	}
	section := func(marker string) []string {
		text := string(doc)
		start := strings.Index(text, "<!-- "+marker+" -->")
		end := strings.Index(text, "<!-- /"+marker+" -->")
		if start < 0 || end < start {
			t.Fatalf("docs/api.md has no <!-- %s --> ... <!-- /%s --> section", marker, marker)
		}
		var rows []string
		for _, line := range strings.Split(text[start:end], "\n") {
			if strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "|---") {
				rows = append(rows, line)
			}
		}
		return rows[1:] // the header
	}
	var rows []parityRow
	for _, line := range section("parity-table") {
		cells := tableCells(line)
		if len(cells) != 5 {
			t.Fatalf("parity table row %q: %d cells, want 5", line, len(cells))
		}
		rows = append(rows, parityRow{id: cells[0], reference: cells[1], names: codeSpans(cells[2]), status: cells[3], why: cells[4]})
	}
	var extra []string
	for _, line := range section("parity-extra") {
		cells := tableCells(line)
		if len(cells) != 2 {
			t.Fatalf("extra names row %q: %d cells, want 2", line, len(cells))
		}
		extra = append(extra, codeSpans(cells[0])...)
	}
	return rows, extra
}

// tableCells splits a Markdown table row; a | inside `code` is text.
func tableCells(line string) []string {
	var cells []string
	var cur strings.Builder
	code := false
	for _, r := range strings.TrimSpace(line) {
		switch {
		case r == '`':
			code = !code
			cur.WriteRune(r)
		case r == '|' && !code:
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	return cells[1:] // before the first |
}

var codeSpanRE = regexp.MustCompile("`([^`]*)`")

func codeSpans(s string) []string {
	var out []string
	for _, m := range codeSpanRE.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// parityValues are the values whose names the table covers, by the prefix
// the table uses, and whether every name they have must be in the tables.
func parityValues(t *testing.T) map[string]struct {
	v     starlark.HasAttrs
	whole bool
} {
	t.Helper()
	menu, err := newIVRMenu(&starlark.Thread{}, starlark.NewBuiltin("freeswitch.IVRMenu", nil), starlark.Tuple{starlark.None, starlark.String("m")}, nil)
	if err != nil {
		t.Fatalf("IVRMenu: %v", err)
	}
	type entry = struct {
		v     starlark.HasAttrs
		whole bool
	}
	return map[string]entry{
		"freeswitch":    {Module(Options{}), true},
		"API":           {apiValue{}, true},
		"Event":         {NewEvent(nil), true},
		"EventConsumer": {&consumer{}, true},
		"Stream":        {NewStream(0), true},
		"DTMF":          {DTMF{}, true},
		"IVRMenu":       {menu.(*IVRMenu), true},
		"Session":       {&Session{}, true},
		"Dbh":           {&Dbh{}, true},
		"JSON":          {&jsonObject{}, true},
		"json":          {json.Module, false}, // go.starlark.net's
	}
}

// TestParityTable checks the parity table of docs/api.md against the code:
// the row count and the recount line, the names of every row, what a
// refused name says, and that no name of a covered value is left out.
func TestParityTable(t *testing.T) {
	rows, extra := readParityTables(t)
	values := parityValues(t)
	if len(rows) != 104 {
		t.Errorf("the parity table has %d rows, want the audit's 104", len(rows))
	}
	count := map[string]int{}
	seen := map[string]bool{} // names in either table
	ids := map[string]bool{}
	for _, r := range rows {
		if ids[r.id] {
			t.Errorf("row %s appears twice", r.id)
		}
		ids[r.id] = true
		count[r.status]++
		switch r.status {
		case "same":
			if r.why != "" {
				t.Errorf("row %s (%s) is the same but says why not: %q", r.id, r.reference, r.why)
			}
		case "differs", "refused":
			if r.why == "" {
				t.Errorf("row %s (%s) is %s without a reason", r.id, r.reference, r.status)
			}
		default:
			t.Errorf("row %s (%s): status %q, want same, differs or refused", r.id, r.reference, r.status)
		}
		if len(r.names) == 0 {
			t.Errorf("row %s (%s) names nothing in fsstar", r.id, r.reference)
		}
		for _, name := range r.names {
			seen[name] = true
			attr, ok := resolveParityName(t, values, name)
			if !ok {
				t.Errorf("row %s (%s): %s does not exist", r.id, r.reference, name)
				continue
			}
			if r.status == "refused" {
				checkRefused(t, r, name, attr)
				continue
			}
			recv, method, _ := strings.Cut(name, ".")
			if _, refused := sessionRefused[method]; recv == "Session" && refused {
				t.Errorf("row %s (%s) is %s, but Session.%s is refused", r.id, r.reference, r.status, method)
			}
			// Other values' methods are safe to call without arguments
			// (they fail unpacking, or act on an empty value): a
			// refusal says so whatever the arguments.
			if fn, ok := attr.(starlark.Callable); ok && recv != "Session" {
				_, err := starlark.Call(&starlark.Thread{Name: t.Name()}, fn, nil, nil)
				if err != nil && strings.Contains(err.Error(), "not available over the event socket") {
					t.Errorf("row %s (%s) is %s, but %s is refused: %v", r.id, r.reference, r.status, name, err)
				}
			}
		}
	}
	for _, name := range extra {
		seen[name] = true
		if _, ok := resolveParityName(t, values, name); !ok {
			t.Errorf("extra name %s does not exist", name)
		}
	}
	// Every name of a covered value is in a table.
	for prefix, e := range values {
		if !e.whole {
			continue
		}
		for _, n := range e.v.AttrNames() {
			if !seen[prefix+"."+n] {
				t.Errorf("%s.%s exists but is in neither parity table of docs/api.md", prefix, n)
			}
		}
	}
	// The recount line says what the table says.
	doc, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("Recount: %d same, %d differs, %d refused, of %d rows.", count["same"], count["differs"], count["refused"], len(rows))
	if !strings.Contains(string(doc), want) {
		t.Errorf("docs/api.md should say %q", want)
	}
	var non []string
	for _, r := range rows {
		if r.status != "same" {
			non = append(non, r.id+" "+r.status)
		}
	}
	sort.Strings(non)
	t.Logf("%s; not the same: %s", want, strings.Join(non, ", "))
}

// resolveParityName returns the attribute a table name names.
func resolveParityName(t *testing.T, values map[string]struct {
	v     starlark.HasAttrs
	whole bool
}, name string) (starlark.Value, bool) {
	t.Helper()
	prefix, attr, ok := strings.Cut(name, ".")
	e, known := values[prefix]
	if !ok || !known {
		t.Errorf("table name %q: want <value>.<name> with a value among freeswitch, API, Event, EventConsumer, Stream, DTMF, IVRMenu, Session, Dbh, JSON, json", name)
		return nil, false
	}
	found := false
	for _, n := range e.v.AttrNames() {
		found = found || n == attr
	}
	v, err := e.v.Attr(attr)
	if err != nil || v == nil || !found {
		return nil, false
	}
	return v, true
}

// checkRefused calls a refused name: it must fail, and name the
// alternative the table gives.
func checkRefused(t *testing.T, r parityRow, name string, attr starlark.Value) {
	t.Helper()
	_, alt, ok := strings.Cut(r.why, "alternative:")
	spans := codeSpans(alt)
	if !ok || len(spans) == 0 {
		t.Errorf("row %s (%s) is refused but its reason names no `alternative: ...`", r.id, r.reference)
		return
	}
	fn, ok := attr.(starlark.Callable)
	if !ok {
		t.Errorf("row %s: %s is refused but is not callable (%s)", r.id, name, attr.Type())
		return
	}
	_, err := starlark.Call(&starlark.Thread{Name: t.Name()}, fn, nil, nil)
	if err == nil {
		t.Errorf("row %s: %s() is refused but did not fail", r.id, name)
		return
	}
	if !strings.Contains(err.Error(), spans[0]) {
		t.Errorf("row %s: %s() failed with %q, which does not name the alternative %q", r.id, name, err, spans[0])
	}
}
