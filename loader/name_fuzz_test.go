package loader_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsstar/fsstar/loader"
)

// FuzzModuleName feeds arbitrary names to every entry of module-name
// resolution: ParseSpec, ValidateName, NormalizeLoad and Loader.Find over a
// root that holds a symlink to a file outside it. Whatever the input, a name
// that is accepted resolves to a file inside the root, never through the
// symlink, and nothing panics.
func FuzzModuleName(f *testing.F) {
	for _, s := range []string{
		"ivr.main", "ivr.main::night", "lib/util.star", "../etc/passwd", "..", ".", "/etc/passwd",
		"%2e%2e/secret", "%2e%2e%2fsecret", "%252e%252e%252fsecret", "lib/../../secret.star",
		"lib\\..\\secret", "a..b", "a.", ".a", "a/./b.star", "a//b.star", "out.secret", "out/secret.star",
		"ivr.main\x00", "ivr main", "ivr.maïn", "C:\\Windows", "lib/util", "lib.util.star", "::", "a::b::c",
	} {
		f.Add(s)
	}
	root := f.TempDir()
	outside := f.TempDir()
	mustWrite(f, filepath.Join(root, "ivr", "main.star"), "def handler(session, args):\n    pass\n")
	mustWrite(f, filepath.Join(root, "lib", "util.star"), "x = 1\n")
	mustWrite(f, filepath.Join(outside, "secret.star"), "SECRET = 1\n")
	if err := os.Symlink(outside, filepath.Join(root, "out")); err != nil {
		f.Skip("no symlinks:", err)
	}
	ld, err := loader.New([]string{root}, loader.WithWatch(loader.WatchOff))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { ld.Close() })
	realRoot, _ := filepath.EvalSymlinks(root)

	inside := func(t *testing.T, what, p string) {
		t.Helper()
		rp, err := filepath.EvalSymlinks(p)
		if err != nil {
			t.Fatalf("%s resolved to %q, which does not exist: %v", what, p, err)
		}
		rel, err := filepath.Rel(realRoot, rp)
		if err != nil || !filepath.IsLocal(rel) {
			t.Fatalf("%s resolved to %q, outside the root %q", what, rp, realRoot)
		}
		if strings.Contains(rp, "secret") {
			t.Fatalf("%s reached the file behind the symlink: %q", what, rp)
		}
	}
	f.Fuzz(func(t *testing.T, name string) {
		if mod, fn, err := loader.ParseSpec(name); err == nil {
			if loader.ValidateName(mod) != nil {
				t.Fatalf("ParseSpec accepted module %q that ValidateName refuses", mod)
			}
			if fn != "" && strings.ContainsAny(fn, "./\\:") {
				t.Fatalf("ParseSpec accepted function %q", fn)
			}
		}
		if err := loader.ValidateName(name); err == nil {
			if strings.ContainsAny(name, "/\\%\x00 ") || strings.Contains(name, "..") {
				t.Fatalf("ValidateName accepted %q", name)
			}
			if p, err := ld.Find(name); err == nil {
				inside(t, "Find("+name+")", p)
			}
		}
		if mod, err := loader.NormalizeLoad(name); err == nil {
			if loader.ValidateName(mod) != nil {
				t.Fatalf("NormalizeLoad(%q) = %q, not a valid module name", name, mod)
			}
			if p, err := ld.Find(mod); err == nil {
				inside(t, "Find(NormalizeLoad("+name+"))", p)
			}
		}
		if p, err := ld.Find(name); err == nil {
			inside(t, "Find("+name+")", p)
		}
	})
}

func mustWrite(f *testing.F, p, content string) {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		f.Fatal(err)
	}
}
