package startest

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"go.starlark.net/starlark"

	"github.com/fsstar/fsstar/builtins"
	"github.com/fsstar/fsstar/loader"
)

// docFiles are the Markdown pages whose code these tests check.
func docFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../docs/*.md")
	if err != nil || len(files) == 0 {
		t.Fatalf("no docs: %v", err)
	}
	return append(files, "../README.md")
}

var starlarkBlock = regexp.MustCompile("(?ms)^```starlark\\n(.*?)^```")

// TestDocSnippetsCompile compiles every ```starlark block of docs/*.md and
// README.md as a module: fsstar's dialect (loader.DefaultFileOptions) and
// the names every module sees (freeswitch, files, json, time, math).
func TestDocSnippetsCompile(t *testing.T) {
	predeclared := builtins.Predeclared(builtins.Options{})
	isPredeclared := func(name string) bool {
		_, ok := predeclared[name]
		return ok || starlark.Universe.Has(name)
	}
	n := 0
	for _, f := range docFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range starlarkBlock.FindAllSubmatchIndex(b, -1) {
			n++
			line := 1 + strings.Count(string(b[:m[2]]), "\n")
			name := filepath.ToSlash(strings.TrimPrefix(f, "../")) + ":" + itoa(line)
			src := string(b[m[2]:m[3]])
			opts := loader.DefaultFileOptions()
			if _, _, err := starlark.SourceProgramOptions(&opts, name, src, isPredeclared); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
	if n == 0 {
		t.Error("no ```starlark blocks found in the docs")
	}
}

var repoPath = regexp.MustCompile("(?:^|[\\s`(\"'])((?:scripts|conf|docs)/[A-Za-z0-9_./*-]*[A-Za-z0-9_*])")
var mdLink = regexp.MustCompile(`\]\(([^)#\s]+)(?:#[^)]*)?\)`)

// TestDocPathsExist checks that every scripts/..., conf/... and docs/...
// path the docs mention, and every relative link, exists.
func TestDocPathsExist(t *testing.T) {
	for _, f := range docFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			where := filepath.ToSlash(strings.TrimPrefix(f, "../")) + ":" + itoa(i+1)
			for _, m := range repoPath.FindAllStringSubmatch(line, -1) {
				p := m[1]
				if strings.Contains(p, "*") {
					if ms, _ := filepath.Glob(filepath.Join("..", p)); len(ms) == 0 {
						t.Errorf("%s: %s matches no file", where, p)
					}
					continue
				}
				if _, err := os.Stat(filepath.Join("..", p)); err != nil {
					t.Errorf("%s: %s does not exist", where, p)
				}
			}
			for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				if _, err := os.Stat(filepath.Join(filepath.Dir(f), target)); err != nil {
					t.Errorf("%s: link %s does not exist", where, target)
				}
			}
		}
	}
}

// TestAPIReferenceCoversBuiltins checks that docs/api.md names every member
// of the freeswitch module and every Session attribute.
func TestAPIReferenceCoversBuiltins(t *testing.T) {
	b, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	var names []string
	for n := range builtins.Module(builtins.Options{}).Members {
		names = append(names, n)
	}
	names = append(names, (&builtins.Session{}).AttrNames()...)
	sort.Strings(names)
	for _, n := range names {
		if !strings.Contains(doc, "`"+n+"(") && !strings.Contains(doc, "`"+n+"`") && !strings.Contains(doc, " "+n+"`") && !strings.Contains(doc, "`"+n+",") && !strings.Contains(doc, "`"+n+" ") {
			t.Errorf("docs/api.md does not describe %s", n)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
