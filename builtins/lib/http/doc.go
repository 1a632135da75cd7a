// Package http is the `http` module of fsstar scripts: an HTTP client that
// reaches only the hosts the configuration allows.
//
// The requests are made by Go's net/http inside the fsstar process, on the
// goroutine of the script that asked: never on a thread of the switch. (A
// mod_lua script's `freeswitch.API():execute("curl", url)` runs mod_curl on
// the call's own switch thread, or on the thread of the api command.)
//
// The Starlark API:
//
//	def get(url, params=None, headers=None, timeout=None, allow_fail=False):
//	def delete(url, params=None, headers=None, body=None, json=None, timeout=None, allow_fail=False):
//	def post(url, params=None, headers=None, body=None, json=None, timeout=None, allow_fail=False):
//	def put(url, params=None, headers=None, body=None, json=None, timeout=None, allow_fail=False):
//	def request(method, url, params=None, headers=None, body=None, json=None, timeout=None, allow_fail=False):
//	    makes one request and returns a Response once the whole body is
//	    read. url is http:// or https://. params is a dict whose values
//	    (str, int, float, bool or a list of them) are added to the query
//	    string. headers is a dict of str. body is the request body: a str
//	    sent as it is, or a dict sent form-encoded
//	    (application/x-www-form-urlencoded). json is any value the
//	    predeclared json module encodes; it is sent with Content-Type
//	    application/json (unless headers set one); body and json exclude
//	    each other. timeout bounds the whole request, redirects and body
//	    included: seconds (int or float), a duration string ("1.5s") or a
//	    time.duration; default http-timeout, at most http-max-timeout.
//	    A status of 4xx or 5xx is not an error: check response.status.
//	    Errors (each names the function and the URL without its query):
//	    a host that http-allow-hosts does not allow (on the first request
//	    and on every redirect), more redirects than http-max-redirects, a
//	    body larger than http-max-response-bytes, the timeout, the call
//	    ending (hangup past hangup-grace, the request timeout of an fsapi
//	    request, shutdown), a refused connection, a certificate that does
//	    not verify. Starlark has no try/except: with allow_fail=True such
//	    a failure returns a Response with status 0, ok False, an empty body
//	    and the message in .error instead of raising (bad arguments still
//	    raise), so a script can fall back when a lookup fails.
//
//	Response
//	    .status   int, 200
//	    .ok       True for a 2xx status
//	    .url      str, the URL answered (after redirects)
//	    .headers  the response headers: headers["content-type"],
//	              headers.get(name, default=None) and `name in headers` ignore
//	              case; several values of a name are joined with ", ";
//	              headers.get_all(name) lists them; keys() items() len() and
//	              iteration give the canonical names (Content-Type).
//	    .body     str, the body as received
//	    .json(default=<none>)
//	              the body decoded by the json module's decode; a body that
//	              is not JSON is an error, or default when it is given
//	    .error    None, or why the request failed (allow_fail=True)
//
// The allowlist (http-allow-hosts) holds entries `host` (any port),
// `host:port`, `*.example.com` (any name below example.com, not example.com
// itself) and `*` (any host). Nothing is allowed until it is configured. An
// entry that names a host exactly is trusted as written; a request allowed
// only by a wildcard is refused when the name resolves to a loopback,
// link-local or unspecified address (127.0.0.0/8, ::1, 169.254.0.0/16 with
// the cloud metadata address, fe80::/10, 0.0.0.0): a script fed a caller's
// URL cannot reach fsstar's own gateway, the switch's event socket or a
// metadata service through a wildcard. The check is made on the address
// actually dialled, so a name that resolves differently the second time
// gains nothing. Proxy environment variables are ignored; TLS certificates
// are verified against the system roots and there is no switch to turn that
// off.
package http
