package builtins

import "testing"

// TestLibModules: re, crypto, encoding and calendar are predeclared, and
// calendar.holidays reads through the files sandbox (roots, no "..", no
// symlink out, the size limit).
func TestLibModules(t *testing.T) {
	opts := Options{Roots: scriptDirs(t), MaxFileBytes: 100}
	runCases(t, opts, []scriptCase{
		{name: "re", src: `result = re.sub(r"^\+1(\d{10})$", r"\1", "+15551230001")`, want: `"5551230001"`},
		{name: "crypto", src: `result = crypto.sha256("abc")[:8]`, want: `"ba7816bf"`},
		{name: "encoding", src: `result = encoding.url_encode({"a": "b c"})`, want: `"a=b+c"`},
		{name: "calendar", src: `result = calendar.check(at="2026-11-29 10:00", tz="Europe/Paris", wday="sun", hour="9-11")`, want: `True`},
		{name: "holidays through the sandbox", src: `result = calendar.holidays("data/semi.csv", date_column="a;b").entries`, wantErr: `calendar.holidays: "data/semi.csv" line 2: "1;2" is not a date YYYY-MM-DD`},
		{name: "holidays dotdot", src: `calendar.holidays("../outside/secret.txt")`, wantErr: `calendar.holidays: "../outside/secret.txt": ".." is not allowed in a path`},
		{name: "holidays symlink out", src: `calendar.holidays("escape")`, wantErr: `calendar.holidays: "escape": leaves the script directory`},
		{name: "holidays too big", src: `calendar.holidays("big.txt")`, wantErr: `calendar.holidays: "big.txt": 101 bytes is more than the limit of 100`},
		{name: "holidays missing", src: `calendar.holidays("nope.csv")`, wantErr: `calendar.holidays: "nope.csv": not found in the script directories`},
	})
	runCases(t, Options{}, []scriptCase{
		{name: "holidays without roots", src: `calendar.holidays("h.csv")`, wantErr: `calendar.holidays: no script directories are configured`},
	})
}
