package http

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"time"
)

// The configuration params of the module besides ParamAllowHosts; errors
// name them.
const (
	ParamTimeout          = "http-timeout"
	ParamMaxTimeout       = "http-max-timeout"
	ParamMaxResponseBytes = "http-max-response-bytes"
	ParamMaxRedirects     = "http-max-redirects"
)

// Defaults of Config.
const (
	DefaultTimeout          = 10 * time.Second
	DefaultMaxTimeout       = 60 * time.Second
	DefaultMaxResponseBytes = 1 << 20
	DefaultMaxRedirects     = 5
)

// Config configures a Client. Zero fields take the defaults; an empty
// AllowHosts allows nothing.
type Config struct {
	// AllowHosts are the hosts requests may go to (ParseAllowList).
	AllowHosts AllowList
	// Timeout bounds a request that gives no timeout (DefaultTimeout).
	Timeout time.Duration
	// MaxTimeout is the largest timeout a request may ask for
	// (DefaultMaxTimeout).
	MaxTimeout time.Duration
	// MaxResponseBytes bounds a response body (DefaultMaxResponseBytes).
	MaxResponseBytes int64
	// MaxRedirects is how many redirects a request follows
	// (DefaultMaxRedirects); a negative value follows none.
	MaxRedirects int
	// RootCAs verifies servers' certificates; nil means the system roots.
	RootCAs *x509.CertPool
}

func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxTimeout <= 0 {
		c.MaxTimeout = DefaultMaxTimeout
	}
	if c.Timeout > c.MaxTimeout {
		c.MaxTimeout = c.Timeout
	}
	if c.MaxResponseBytes <= 0 {
		c.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if c.MaxRedirects == 0 {
		c.MaxRedirects = DefaultMaxRedirects
	} else if c.MaxRedirects < 0 {
		c.MaxRedirects = 0
	}
	return c
}

// Client is the HTTP client behind the http module of one server: its
// connection pool, allowlist and limits. It is safe for concurrent use by
// every call. The server makes one from its configuration and closes it at
// shutdown.
type Client struct {
	cfg    Config
	tr     *http.Transport
	client *http.Client
	dialer net.Dialer
}

// NewClient returns a Client for cfg.
func NewClient(cfg Config) *Client {
	c := &Client{cfg: cfg.withDefaults(), dialer: net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}}
	c.tr = &http.Transport{
		Proxy:                  nil, // no HTTP_PROXY: the allowlist is about where requests go
		DialContext:            c.dial,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    16,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10, // the body has its own cap

		TLSClientConfig: &tls.Config{RootCAs: c.cfg.RootCAs, MinVersion: tls.VersionTLS12},
	}
	c.client = &http.Client{Transport: c.tr, CheckRedirect: c.checkRedirect}
	return c
}

// Close closes the idle connections of the pool. Requests in flight are not
// interrupted (their calls' contexts do that).
// A nil Client is a no-op.
func (c *Client) Close() {
	if c != nil {
		c.tr.CloseIdleConnections()
	}
}

// Allowed reports whether a request to host:port (a URL's host, a port
// given or not) is allowed by http-allow-hosts, without resolving anything.
func (c *Client) Allowed(host, port string) bool {
	ok, _ := c.cfg.AllowHosts.match(host, port)
	return ok
}

// refusedHostError is the error for a host the allowlist does not allow.
type refusedHostError struct {
	hostport string
	allow    AllowList
}

func (e *refusedHostError) Error() string {
	if e.allow.Len() == 0 {
		return fmt.Sprintf("host %s is not allowed: no host is until %s lists it (fsstar.conf.xml)", e.hostport, ParamAllowHosts)
	}
	return fmt.Sprintf("host %s is not allowed by %s (%s)", e.hostport, ParamAllowHosts, e.allow)
}

// internalAddrError is the error for a wildcard-allowed name that resolved
// to a loopback or link-local address.
type internalAddrError struct {
	hostport string
	ip       netip.Addr
}

func (e *internalAddrError) Error() string {
	return fmt.Sprintf("host %s resolves to %s, a loopback or link-local address that a wildcard of %s does not reach: list the host exactly to allow it", e.hostport, e.ip, ParamAllowHosts)
}

// checkRedirect applies the allowlist and the redirect limit to every hop.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > c.cfg.MaxRedirects {
		return fmt.Errorf("stopped after %d redirects (%s)", c.cfg.MaxRedirects, ParamMaxRedirects)
	}
	if err := c.checkURLHost(req); err != nil {
		return fmt.Errorf("redirect to %s: %w", redacted(req.URL), err)
	}
	return nil
}

// checkURLHost checks the request's host against the allowlist.
func (c *Client) checkURLHost(req *http.Request) error {
	host, port := req.URL.Hostname(), req.URL.Port()
	if port == "" {
		port = "80"
		if req.URL.Scheme == "https" {
			port = "443"
		}
	}
	if ok, _ := c.cfg.AllowHosts.match(host, port); !ok {
		return &refusedHostError{hostport: net.JoinHostPort(normHost(host), port), allow: c.cfg.AllowHosts}
	}
	return nil
}

// dial connects to addr (host:port of the URL) when the allowlist allows
// it: an exact entry dials as it is; a wildcard entry resolves the name and
// dials only addresses that are not loopback or link-local. Checking here,
// on the addresses dialled, leaves no gap between the check and the
// connection (DNS rebinding).
func (c *Client) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ok, exact := c.cfg.AllowHosts.match(host, port)
	if !ok {
		return nil, &refusedHostError{hostport: net.JoinHostPort(normHost(host), port), allow: c.cfg.AllowHosts}
	}
	if exact {
		return c.dialer.DialContext(ctx, network, addr)
	}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else {
		ips, err = net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, err
		}
	}
	var errs []error
	for _, ip := range ips {
		if internal(ip) {
			errs = append(errs, &internalAddrError{hostport: net.JoinHostPort(normHost(host), port), ip: ip})
			continue
		}
		conn, err := c.dialer.DialContext(ctx, network, net.JoinHostPort(ip.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("%s: no address", host)
	}
	return nil, errors.Join(errs...)
}
