package servertest_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"

	"github.com/fsstar/fsstar/server/servertest"
)

// A script serves a call placed by the simulated switch, as the dialplan's
// `socket 127.0.0.1:8040 async full` would place it, and the test reads
// what the call went through. Tests use NewServer(t, scripts) and
// h.Call(t, vars), which fail the test instead of returning errors and
// clean up with it; New and the switch's PlaceCall are the same without a
// testing.TB.
func Example() {
	h, err := servertest.New(map[string]string{"ivr/main.star": `
def handler(session, args):
    session.answer()
    session.setVariable("department", args)
`})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close()

	ctx, cancel := context.WithTimeout(context.Background(), servertest.CallTimeout)
	defer cancel()
	ch, err := h.Switch.PlaceCall(ctx, h.Server.Addr(), map[string]string{"fsstar_app": "ivr.main sales"})
	if err != nil {
		log.Fatal(err)
	}
	cause, err := ch.WaitHangup(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, a := range ch.Apps() {
		if a.Name != "socket" {
			fmt.Println("app:", a.Name)
		}
	}
	fmt.Println("department:", ch.Var("department"))
	fmt.Println("cause:", cause)
	// Output:
	// app: answer
	// department: sales
	// cause: NORMAL_CLEARING
}

// The HTTP gateway answers on URL: here an fsapi entry point, as mod_curl's
// ${curl(http://127.0.0.1:8041/api/tools?greet 1000)} reaches it.
func ExampleServer_URL() {
	h, err := servertest.New(map[string]string{"tools.star": `
def fsapi(session, stream, env, args):
    stream.write("hello " + args)
`})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close()

	resp, err := http.Get(h.URL("/api/tools?greet%201000"))
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StatusCode, string(body))
	// Output: 200 hello greet 1000
}
