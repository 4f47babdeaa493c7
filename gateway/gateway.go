// Package gateway is lmdbapi's REST sidecar: grpc-gateway (1.6.4) handlers
// generated from a schema's service .proto, in front of the lmdbapi gRPC
// server, plus /healthz, /metrics, /openapi.json and /docs. Each schema's
// generated main (protoc-gen-lmdbapi's <file>.gateway_main.go) calls Main.
package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/runtime"
	"google.golang.org/grpc"
)

// Service is one generated gRPC service and its generated REST handlers.
type Service struct {
	Name     string // "lmdbapi.examples.permits.Permits"
	Register func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error
}

// Schema is what a generated main hands to Main.
type Schema struct {
	File     string    // the schema .proto, e.g. "proto/examples/permits.proto"
	Services []Service // in the order of the service .proto
	Assets   fs.FS     // openapi.json and swagger-ui/ (embedded by the build)
}

// Main runs the gateway with the process's flags and environment and exits.
func Main(s Schema) {
	tuneGC(os.Getenv)
	os.Exit(Run(s, os.Args[1:], os.Getenv, os.Stderr))
}

// Run serves until SIGTERM or SIGINT, then drains in-flight requests (up to
// 10 s) and returns the exit status: 0, 1 (could not start), 2 (bad flags).
func Run(s Schema, args []string, getenv func(string) string, stderr io.Writer) int {
	program := filepath.Base(os.Args[0])
	cfg, err := ParseConfig(program, args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", program, err)
		return 2
	}
	logger := log.New(stderr, program+": ", log.LstdFlags|log.Lmicroseconds)
	var tlsConfig *tls.Config
	if cfg.TLSCert != "" {
		if tlsConfig, err = ServerTLS(cfg, logger); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", program, err)
			return 2
		}
	}
	handler, conn, err := NewHandler(s, cfg, logger)
	if err != nil {
		logger.Print(err)
		return 1
	}
	defer conn.Close()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		logger.Printf("cannot listen on %s: %v", cfg.Listen, err)
		return 1
	}
	addr := ln.Addr().(*net.TCPAddr)
	// Before the port is announced: a SIGTERM right after it drains, not kills.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	if cfg.PortFile != "" {
		tmp := cfg.PortFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(strconv.Itoa(addr.Port)+"\n"), 0o644); err != nil ||
			os.Rename(tmp, cfg.PortFile) != nil {
			logger.Printf("cannot write --port_file %s", cfg.PortFile)
			return 1
		}
	}
	base := "http://" + addr.String()
	if cfg.TLSCert != "" {
		base = "https://" + addr.String()
	}
	logger.Printf("REST for %s on %s (backend %s); docs at %s/docs, OpenAPI at %s/openapi.json",
		s.File, base, cfg.Backend, base, base)

	server := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: tlsConfig}
	served := make(chan error, 1)
	go func() {
		if tlsConfig != nil {
			served <- server.ServeTLS(ln, "", "")
		} else {
			served <- server.Serve(ln)
		}
	}()
	select {
	case err := <-served:
		logger.Printf("stopped: %v", err)
		return 1
	case sig := <-signals:
		logger.Printf("%v: draining", sig)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := server.Shutdown(ctx); err != nil {
		logger.Printf("drain: %v", err)
	}
	logger.Print("stopped")
	return 0
}

// NewHandler builds the gateway's HTTP handler and its backend connection.
func NewHandler(s Schema, cfg Config, logger *log.Logger) (http.Handler, *grpc.ClientConn, error) {
	generated, err := fs.ReadFile(s.Assets, "openapi.json")
	if err != nil {
		return nil, nil, fmt.Errorf("the build embedded no openapi.json: %v", err)
	}
	api, err := LoadOpenAPI(generated, s.File)
	if err != nil {
		return nil, nil, err
	}
	docs, err := docsHandler(s.File, s.Assets)
	if err != nil {
		return nil, nil, err
	}
	conn, err := Dial(cfg, logger)
	if err != nil {
		return nil, nil, fmt.Errorf("backend %s: %v", cfg.Backend, err)
	}
	installErrorHandlers()
	rest := runtime.NewServeMux(runtime.WithMarshalerOption(runtime.MIMEWildcard, NewMarshaler()),
		runtime.WithIncomingHeaderMatcher(forwardHeaders),
		runtime.WithMetadata(clientSubject),
		runtime.WithOutgoingHeaderMatcher(answerHeaders))
	for _, svc := range s.Services {
		if err := svc.Register(context.Background(), rest, conn); err != nil {
			conn.Close()
			return nil, nil, fmt.Errorf("registering %s: %v", svc.Name, err)
		}
	}

	metrics := newHTTPMetrics(api)
	mux := http.NewServeMux()
	mux.Handle("/healthz", healthHandler(conn, cfg.Backend))
	mux.Handle("/metrics", metricsHandler(conn, cfg.Backend, metrics, cfg.Timeout))
	mux.HandleFunc("/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(api.JSON)
	})
	mux.Handle("/docs", docs)
	mux.Handle("/docs/", docs)
	mux.Handle("/", checkURLUTF8(api.checkQueries(limits(cfg, api.trimToReadMask(checkBodyUTF8(rest))))))
	handler := cors(cfg.CORSOrigins, mux)
	if cfg.LogLevel == "debug" {
		return metrics.instrument(accessLog(logger, handler)), conn, nil
	}
	return metrics.instrument(handler), conn, nil
}

// forwardHeaders passes the HTTP Authorization header on as the gRPC
// metadata "authorization" (the server's bearer-token check reads it),
// X-Shard-Key as "x-shard-key" (a shard's --shard_key check reads it),
// If-Match as "if-match" (the revision a write expects), and other headers
// as grpc-gateway does by default, but for x-client-subject, which only the
// gateway sets (client_subject.go).
func forwardHeaders(key string) (string, bool) {
	if isClientSubjectHeader(key) {
		return "", false
	}
	if strings.EqualFold(key, "Authorization") {
		return "authorization", true
	}
	if strings.EqualFold(key, "X-Shard-Key") {
		return "x-shard-key", true
	}
	if strings.EqualFold(key, "If-Match") {
		return "if-match", true
	}
	// What a read waits for (docs/REPLICATION.md, "Reads").
	if strings.EqualFold(key, "X-Min-Revision") {
		return "x-min-revision", true
	}
	if strings.EqualFold(key, "X-Consistency") {
		return "x-consistency", true
	}
	return runtime.DefaultHeaderMatcher(key)
}

// answerHeaders turns the server's "etag" metadata (a record's revision)
// into the HTTP ETag header, "x-revision" (the revision a read reflects)
// into X-Revision, and other metadata into Grpc-Metadata-* headers as
// grpc-gateway does by default.
func answerHeaders(key string) (string, bool) {
	if key == "etag" {
		return "ETag", true
	}
	if key == "x-revision" {
		return "X-Revision", true
	}
	return runtime.MetadataHeaderPrefix + key, true
}

// limits bounds each request: its body size and its time at the backend.
// A Watch (GET .../watch) streams until the client leaves or the server
// stops, and an Export (GET .../export) for as long as the table takes to
// read, so neither has a time limit.
func limits(cfg Config, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, cfg.MaxBodyBytes)
		if r.Method == http.MethodGet && (strings.HasSuffix(r.URL.Path, "/watch") ||
			strings.HasSuffix(r.URL.Path, "/export")) {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), cfg.Timeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Flush lets streamed answers (Watch) through the recorder as they come.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// accessLog logs one line per request: method, path, status, latency in µs.
func accessLog(logger *log.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		logger.Printf("%s %s %d %dµs", r.Method, r.URL.RequestURI(), rec.status,
			time.Since(start).Microseconds())
	})
}
