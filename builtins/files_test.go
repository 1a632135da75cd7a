package builtins

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// scriptDirs makes two script roots and a directory outside both:
//
//	one/data/callers.csv  one/data/semi.csv  one/shared.txt  one/big.txt
//	one/escape -> ../outside/secret.txt   one/inside -> data/callers.csv
//	two/shared.txt  two/only-two.txt
func scriptDirs(t *testing.T) (roots []string) {
	t.Helper()
	base := t.TempDir()
	one, two, outside := filepath.Join(base, "one"), filepath.Join(base, "two"), filepath.Join(base, "outside")
	write := func(path, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(one, "data", "callers.csv"), "\xef\xbb\xbfnumber,name\n+15551230001,Alice\n+15551230002,\"Bob, Jr.\"\n")
	write(filepath.Join(one, "data", "semi.csv"), "a;b\n1;2\n")
	write(filepath.Join(one, "data", "ragged.csv"), "a,b\n1,2\n3\n")
	write(filepath.Join(one, "data", "dup.csv"), "a,a\n1,2\n")
	write(filepath.Join(one, "data", "empty.csv"), "")
	write(filepath.Join(one, "shared.txt"), "from one")
	write(filepath.Join(one, "big.txt"), strings.Repeat("x", 101))
	write(filepath.Join(two, "shared.txt"), "from two")
	write(filepath.Join(two, "only-two.txt"), "two only")
	write(filepath.Join(outside, "secret.txt"), "secret")
	if err := os.Symlink(filepath.Join("..", "outside", "secret.txt"), filepath.Join(one, "escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside), filepath.Join(one, "escapedir")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("data", "callers.csv"), filepath.Join(one, "inside")); err != nil {
		t.Fatal(err)
	}
	return []string{one, two}
}

func TestFiles(t *testing.T) {
	opts := Options{Roots: scriptDirs(t), MaxFileBytes: 100}
	runCases(t, opts, []scriptCase{
		{name: "read first root wins", src: `result = files.read("shared.txt")`, want: `"from one"`},
		{name: "read second root", src: `result = files.read("only-two.txt")`, want: `"two only"`},
		{name: "read dot path", src: `result = files.read("./data/../shared.txt")`, wantErr: `files.read: "./data/../shared.txt": ".." is not allowed in a path`},
		{name: "read kw", src: `result = files.read(path="shared.txt")`, want: `"from one"`},
		{name: "read missing", src: `files.read("nope.txt")`, wantErr: `files.read: "nope.txt": not found in the script directories`},
		{name: "read dotdot", src: `files.read("../outside/secret.txt")`, wantErr: `files.read: "../outside/secret.txt": ".." is not allowed in a path`},
		{name: "read absolute", src: `files.read("/etc/passwd")`, wantErr: `files.read: "/etc/passwd": absolute paths are not allowed`},
		{name: "read backslash", src: `files.read("data\\callers.csv")`, wantErr: `backslashes and NUL are not allowed`},
		{name: "read empty", src: `files.read("")`, wantErr: `files.read: empty path`},
		{name: "read symlink out", src: `files.read("escape")`, wantErr: `files.read: "escape": leaves the script directory`},
		{name: "read through dir symlink out", src: `files.read("escapedir/secret.txt")`, wantErr: `files.read: "escapedir/secret.txt": leaves the script directory`},
		{name: "read symlink in", src: `result = files.read("inside").splitlines()[1]`, want: `"+15551230001,Alice"`},
		{name: "read directory", src: `files.read("data")`, wantErr: `files.read: "data": not a regular file`},
		{name: "read too big", src: `files.read("big.txt")`, wantErr: `files.read: "big.txt": 101 bytes is more than the limit of 100`},
		{name: "exists", src: `result = [files.exists("shared.txt"), files.exists("only-two.txt"), files.exists("data"), files.exists("nope")]`, want: `[True, True, True, False]`},
		{name: "exists dotdot", src: `files.exists("../x")`, wantErr: `files.exists: "../x": ".." is not allowed`},
		{name: "exists symlink out", src: `files.exists("escape")`, wantErr: `files.exists: "escape": leaves the script directory`},
		{name: "csv dicts", src: `result = files.csv("data/callers.csv")`,
			want: `[{"number": "+15551230001", "name": "Alice"}, {"number": "+15551230002", "name": "Bob, Jr."}]`},
		{name: "csv lists", src: `result = files.csv("data/semi.csv", header=False, delimiter=";")`, want: `[["a", "b"], ["1", "2"]]`},
		{name: "csv empty", src: `result = (files.csv("data/empty.csv"), files.csv("data/empty.csv", header=False))`, want: `([], [])`},
		{name: "csv ragged", src: `files.csv("data/ragged.csv")`, wantErr: `files.csv: "data/ragged.csv": record on line 3: wrong number of fields`},
		{name: "csv duplicate header", src: `files.csv("data/dup.csv")`, wantErr: `files.csv: "data/dup.csv": the header names column "a" twice`},
		{name: "csv bad delimiter", src: `files.csv("data/semi.csv", delimiter=";;")`, wantErr: `files.csv: delimiter must be one character`},
		{name: "csv too big", src: `files.csv("big.txt")`, wantErr: `files.csv: "big.txt": 101 bytes is more than the limit of 100`},
		{name: "csv outside", src: `files.csv("/tmp/x.csv")`, wantErr: `absolute paths are not allowed`},
		{name: "module is frozen", src: `files.read = None`, wantErr: `can't assign to .read field of module`},
		{name: "caller name lookup", src: `
def caller_name(number):
    for row in files.csv("data/callers.csv"):
        if row["number"] == number:
            return row["name"]
    return None

result = [caller_name("+15551230002"), caller_name("+15550000000")]`, want: `["Bob, Jr.", None]`},
	})
}

func TestFilesNoRoots(t *testing.T) {
	runCases(t, Options{}, []scriptCase{
		{name: "read", src: `files.read("a.txt")`, wantErr: `files.read: no script directories are configured`},
		{name: "exists", src: `result = files.exists("a.txt")`, want: `False`},
	})
}

// TestLeavesRoot: the sandbox's escape is a value (errLeavesRoot), told by
// following the links as os.Root does, not by os.Root's message; a link
// that stays inside, a missing file and a link loop are not escapes.
func TestLeavesRoot(t *testing.T) {
	one := scriptDirs(t)[0]
	for _, l := range [][2]string{
		{filepath.Join("..", "shared.txt"), filepath.Join(one, "data", "up")},
		{"loop", filepath.Join(one, "loop")},
		{filepath.Join(one, "shared.txt"), filepath.Join(one, "absolute")},
	} {
		if err := os.Symlink(l[0], l[1]); err != nil {
			t.Fatal(err)
		}
	}
	for path, want := range map[string]bool{
		"escape": true, "escapedir/secret.txt": true, "absolute": true,
		"inside": false, "data/up": false, "shared.txt": false, "nope.txt": false, "loop": false,
	} {
		if got := leavesRoot(one, path); got != want {
			t.Errorf("leavesRoot(%q) = %v, want %v", path, got, want)
		}
		_, oerr := openInRoot(one, path)
		_, serr := statInRoot(one, path)
		for op, err := range map[string]error{"open": oerr, "stat": serr} {
			if got := errors.Is(err, errLeavesRoot); got != want {
				t.Errorf("%s %q: %v, want errLeavesRoot %v", op, path, err, want)
			}
		}
	}
}
