package server_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/fsstar/fsstar/server"
	"github.com/fsstar/fsstar/server/servertest"
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
	h := servertest.NewServer(b, map[string]string{"bench/xml.star": benchXML}, servertest.Unstarted(),
		servertest.WithLogger(hclog.NewNullLogger()),
		servertest.WithConfig(func(c *server.Config) {
			c.XMLHandlerScript = "bench.xml"
			c.XMLHandlerBindings = []string{"directory"}
		}))
	handler := h.Server.Handler()
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
