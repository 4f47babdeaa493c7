package gateway

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"
)

// Version is the gateway's version, set at link time by build-gateway:
// go build -ldflags "-X lmdbapi/gateway.Version=...". It is what -version
// prints and the version label of lmdbapi_gateway_build_info.
var Version = "unknown"

// errVersion is ParseConfig's answer to -version once the version is
// printed. It wraps flag.ErrHelp so that callers exit 0 at once, as they do
// after -help.
var errVersion = fmt.Errorf("version printed: %w", flag.ErrHelp)

// versionOutput is where -version prints (a variable for the tests).
var versionOutput io.Writer = os.Stdout

// Config is what a gateway is started with: flags, each with environment
// variables as fallbacks (the first one set wins), then the default.
type Config struct {
	Backend      string        // gRPC address of the lmdbapi server
	Listen       string        // HTTP listen address; port 0 picks one
	Timeout      time.Duration // deadline of each request to the backend
	BackendWait  time.Duration // how long a request waits for a backend that is not up
	MaxBodyBytes int64         // larger request bodies get 413
	PortFile     string        // if set, the chosen HTTP port is written here
	LogLevel     string        // "info" or "debug" (one line per request)
	TLSCert      string        // serve HTTPS with this PEM certificate chain...
	TLSKey       string        // ...and this PEM private key
	TLSClientCA  string        // with TLSCert: callers must present a certificate this CA signed
	BackendCA    string        // talk TLS to the backend, trusting this PEM CA
	BackendCert  string        // with BackendCA: present this client certificate to the backend...
	BackendKey   string        // ...with this PEM private key
	CORSOrigins  []string      // browser origins allowed to call (cors.go)
}

type option struct {
	name, usage string
	env         []string
	def         string
	set         func(*Config, string) error
}

func address(dst *string) func(*Config, string) error {
	return func(_ *Config, v string) error {
		host, port, err := net.SplitHostPort(v)
		if err != nil || host == "" {
			return fmt.Errorf("expects HOST:PORT")
		}
		if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
			return fmt.Errorf("expects a port in 0..65535")
		}
		*dst = v
		return nil
	}
}

func duration(dst *time.Duration) func(*Config, string) error {
	return func(_ *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("expects a positive duration such as 10s or 500ms")
		}
		*dst = d
		return nil
	}
}

func options(c *Config) []option {
	return []option{
		{"backend", "gRPC address of the lmdbapi server", []string{"LMDBAPI_BACKEND"},
			"127.0.0.1:50051", address(&c.Backend)},
		{"listen", "HTTP listen address; port 0 picks a free one",
			[]string{"LMDBAPI_HTTP_LISTEN", "HOST_URL"}, "127.0.0.1:8080", address(&c.Listen)},
		{"timeout", "deadline of each request to the backend (504 when exceeded)",
			[]string{"LMDBAPI_REQUEST_TIMEOUT"}, "10s", duration(&c.Timeout)},
		{"backend_wait", "how long a request waits for a backend that is down or starting (then 503)",
			[]string{"LMDBAPI_BACKEND_WAIT"}, "3s", duration(&c.BackendWait)},
		{"max_body_bytes", "largest request body accepted (larger: 413)",
			[]string{"LMDBAPI_MAX_BODY_BYTES"}, "4194304", func(c *Config, v string) error {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil || n <= 0 {
					return fmt.Errorf("expects a positive number of bytes")
				}
				c.MaxBodyBytes = n
				return nil
			}},
		{"port_file", "write the HTTP port chosen to this file once listening", nil, "",
			func(c *Config, v string) error { c.PortFile = v; return nil }},
		{"tls_cert", "serve HTTPS with this PEM certificate chain (with -tls_key)",
			[]string{"LMDBAPI_HTTP_TLS_CERT"}, "", func(c *Config, v string) error { c.TLSCert = v; return nil }},
		{"tls_key", "the PEM private key of -tls_cert", []string{"LMDBAPI_HTTP_TLS_KEY"}, "",
			func(c *Config, v string) error { c.TLSKey = v; return nil }},
		{"tls_client_ca", "with -tls_cert: require callers' client certificates signed by this PEM CA (mutual TLS)",
			[]string{"LMDBAPI_HTTP_TLS_CLIENT_CA"}, "", func(c *Config, v string) error { c.TLSClientCA = v; return nil }},
		{"backend_ca", "talk TLS to the backend, trusting this PEM CA certificate",
			[]string{"LMDBAPI_BACKEND_CA"}, "", func(c *Config, v string) error { c.BackendCA = v; return nil }},
		{"backend_cert", "with -backend_ca: present this PEM client certificate to the backend (a server with --tls_client_ca)",
			[]string{"LMDBAPI_BACKEND_CERT"}, "", func(c *Config, v string) error { c.BackendCert = v; return nil }},
		{"backend_key", "the PEM private key of -backend_cert", []string{"LMDBAPI_BACKEND_KEY"}, "",
			func(c *Config, v string) error { c.BackendKey = v; return nil }},
		{"cors_origins", "browser origins (https://app.example.com,...) that may call the API, or *; none: no CORS",
			[]string{"LMDBAPI_CORS_ORIGINS"}, "", func(c *Config, v string) error {
				origins, err := parseOrigins(v)
				c.CORSOrigins = origins
				return err
			}},
		{"log_level", "info, or debug to log every request with its status and latency in µs",
			[]string{"LMDBAPI_LOG_LEVEL"}, "info", func(c *Config, v string) error {
				if v != "info" && v != "debug" {
					return fmt.Errorf("expects info or debug")
				}
				c.LogLevel = v
				return nil
			}},
	}
}

// ParseConfig reads flags from args, then the environment through getenv,
// then defaults. An error names the flag (and its variable) and the value.
// After -help or -version (printed to stdout) the error is flag.ErrHelp.
func ParseConfig(program string, args []string, getenv func(string) string, usage io.Writer) (Config, error) {
	var c Config
	opts := options(&c)
	fs := flag.NewFlagSet(program, flag.ContinueOnError)
	fs.SetOutput(usage)
	given := map[string]*string{}
	for _, o := range opts {
		help := o.usage
		for _, e := range o.env {
			help += " [$" + e + "]"
		}
		given[o.name] = fs.String(o.name, o.def, help)
	}
	version := fs.Bool("version", false, "print the gateway's version and exit")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	// Before anything else: -version answers even where other flags or the
	// environment are wrong.
	if *version {
		fmt.Fprintf(versionOutput, "%s (lmdbapi gateway) %s\n", program, Version)
		return c, errVersion
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q (flags are -name=value)", fs.Arg(0))
	}
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	for _, o := range opts {
		value, source := *given[o.name], "-"+o.name
		if !explicit[o.name] {
			for _, e := range o.env {
				if v := getenv(e); v != "" {
					value, source = v, "$"+e+" (-"+o.name+")"
					break
				}
			}
		}
		if err := o.set(&c, value); err != nil {
			return c, fmt.Errorf("%s: %q is not valid; %v", source, value, err)
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return c, fmt.Errorf("-tls_cert and -tls_key go together: give both, or neither")
	}
	if c.TLSClientCA != "" && c.TLSCert == "" {
		return c, fmt.Errorf("-tls_client_ca needs -tls_cert and -tls_key: client certificates are checked over HTTPS only")
	}
	if (c.BackendCert == "") != (c.BackendKey == "") {
		return c, fmt.Errorf("-backend_cert and -backend_key go together: give both, or neither")
	}
	if c.BackendCert != "" && c.BackendCA == "" {
		return c, fmt.Errorf("-backend_cert needs -backend_ca: a client certificate is presented over TLS only")
	}
	return c, nil
}
