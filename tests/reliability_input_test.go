package tests

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fsstar/fsstar/server"
)

// Module names and file reads cannot leave the script roots, whatever the
// encoding: raw requests (no client-side cleaning) with "..", absolute
// paths, symlinks, %2e%2e, %2f and double encoding, to /api/<module> and to
// files.read / files.exists / files.csv. A file outside the root is never
// served; a file inside is (the positive control).
func TestReliabilityNoEscapeFromRoots(t *testing.T) {
	noLeaks(t)
	const secret = "SECRET-5b1e-outside"
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "mod.star"), []byte("def fsapi(session, stream, env, args):\n    stream.write(\""+secret+"\")\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := startRel(t, map[string]string{
		"rel/read.star": `
def fsapi(session, stream, env, args):
    if args.startswith("csv:"):
        stream.write(str(files.csv(args[4:])))
    elif files.exists(args):
        stream.write(files.read(args))
    else:
        stream.write("absent")
`,
		"data/ok.txt": "inside-ok",
	}, nil)
	for _, link := range [][2]string{
		{outside, "out"},
		{filepath.Join(outside, "secret.txt"), "data/secret.txt"},
		{filepath.Join(outside, "mod.star"), "rel/evil.star"},
	} {
		if err := os.Symlink(link[0], filepath.Join(h.Dir, filepath.FromSlash(link[1]))); err != nil {
			t.Skip("no symlinks:", err)
		}
	}
	raw := func(target string) (int, string) {
		t.Helper()
		nc, err := net.DialTimeout("tcp", h.Server.HTTPAddr(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(nc, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", target)
		resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
		if err != nil {
			return 0, "unparsable: " + err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := raw("/api/rel.read?data/ok.txt"); code != 200 || body != "inside-ok" {
		t.Fatalf("positive control: %d %q", code, body)
	}
	modules := []string{"..%2f..%2fetc%2fpasswd", "%2e%2e/%2e%2e/etc/passwd", "%252e%252e%252fetc", "../../etc/passwd",
		"/etc/passwd", "rel.evil", "out.mod", "rel/..%2fout.mod", "rel%2eevil", "rel..evil", "rel.evil%00", "%2frel.read",
		"rel.read%3a%3afsapi", "rel.read::..", "\\..\\out.mod"}
	reads := []string{"../secret.txt", "..%2fsecret.txt", "%2e%2e/secret.txt", "%252e%252e%252fsecret.txt", "data/../../secret.txt",
		"/etc/passwd", "%2fetc%2fpasswd", "out/secret.txt", "out%2fsecret.txt", "data/secret.txt", "data%2fsecret.txt",
		"./out/secret.txt", "data/./../out/secret.txt", "data\\..\\..\\secret.txt", "data/ok.txt%00/../../secret.txt",
		"csv:out/secret.txt", "csv:data/secret.txt", "csv:../secret.txt", "csv:%2fetc%2fpasswd"}
	var targets []string
	for _, m := range modules {
		targets = append(targets, "/api/"+m, "/api/"+m+"?x")
	}
	for _, r := range reads {
		targets = append(targets, "/api/rel.read?"+r)
	}
	for _, target := range targets {
		code, body := raw(target)
		if strings.Contains(body, secret) {
			t.Errorf("GET %s: %d served a file outside the root", target, code)
		}
		if code >= 500 && code != 500 {
			t.Errorf("GET %s: %d %q", target, code, body)
		}
	}
	if strings.Contains(h.Logs(), secret) {
		t.Error("content from outside the root reached the log")
	}
	if code, _ := raw("/healthz"); code != 200 {
		t.Errorf("healthz after the probes: %d", code)
	}
}

// Bodies over max-body-bytes get 413 on every endpoint, whether announced
// by Content-Length or streamed chunked, and no script runs.
func TestReliabilityHugeBodies(t *testing.T) {
	noLeaks(t)
	h := startRel(t, map[string]string{"rel/api.star": `
def fsapi(session, stream, env, args):
    freeswitch.consoleLog("info", "SCRIPT-RAN\n")
    stream.write("ran")

def runtime(args):
    freeswitch.consoleLog("info", "SCRIPT-RAN\n")
`}, func(c *server.Config) { c.MaxBodyBytes = 64 << 10 })
	big := strings.Repeat("a=b&", 50<<10) // 200 KiB
	for _, path := range []string{"/api/rel.api", "/xml", "/run/rel.api"} {
		for _, chunked := range []bool{false, true} {
			var body io.Reader = strings.NewReader(big)
			if chunked {
				body = io.MultiReader(strings.NewReader(big)) // no length: sent chunked
			}
			req, _ := http.NewRequest("POST", "http://"+h.Server.HTTPAddr()+path, body)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("POST %s: %v", path, err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("POST %s (chunked %v) with 200 KiB: %d, want 413", path, chunked, resp.StatusCode)
			}
		}
	}
	if count(h, "SCRIPT-RAN") != 0 {
		t.Error("a script ran for an oversized request")
	}
	if code, body := relGet(t, h, "/api/rel.api"); code != 200 || body != "ran" {
		t.Errorf("after the oversized requests: %d %q", code, body)
	}
}
