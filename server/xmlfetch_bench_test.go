package server

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/fsstar/fsstar/esl/esltest"
)

const benchXML = `
def xml_fetch(params):
    if params.get("section") != "directory":
        return None
    return "<document type=\"freeswitch/xml\"><section name=\"directory\"><domain name=\"%s\"/></section></document>" % params.get("domain", "x")
`

// BenchmarkXMLFetch is one mod_xml_curl request through the HTTP gateway's
// handler, in process: form parsing, the xml_fetch call, the response.
// The benchmark harness (tests/bench) measures the same over loopback.
func BenchmarkXMLFetch(b *testing.B) {
	dir := b.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "bench"), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bench", "xml.star"), []byte(benchXML), 0o644); err != nil {
		b.Fatal(err)
	}
	sw := esltest.NewSwitch(b)
	cfg := DefaultConfig()
	cfg.ScriptDirs = []string{dir}
	cfg.Listen, cfg.HTTPListen = "127.0.0.1:0", ""
	cfg.ESLAddress, cfg.ESLPassword = sw.Addr(), sw.Password()
	cfg.Reload = "off"
	cfg.XMLHandlerScript = "bench.xml"
	cfg.XMLHandlerBindings = []string{"directory"}
	srv, err := New(cfg, WithLogger(hclog.NewNullLogger()))
	if err != nil {
		b.Fatal(err)
	}
	handler := srv.Handler()
	form := "section=directory&tag_name=domain&key_name=name&key_value=bench&domain=bench"
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/xml", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `<domain name="bench"/>`) {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}
