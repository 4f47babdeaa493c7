package gateway

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang/protobuf/proto"
	"google.golang.org/grpc"
)

func TestMetricsMessagesEncodeAsAdminProto(t *testing.T) {
	if raw, err := proto.Marshal(&metricsRequest{}); err != nil || len(raw) != 0 {
		t.Errorf("MetricsRequest{}: %x, %v; want no bytes", raw, err)
	}
	// MetricsResponse{text: "a 1\n"}: field 1, length-delimited.
	want := []byte{0x0a, 4, 'a', ' ', '1', '\n'}
	raw, err := proto.Marshal(&metricsResponse{Text: "a 1\n"})
	if err != nil || !bytes.Equal(raw, want) {
		t.Errorf("MetricsResponse: %x, %v; want %x", raw, err, want)
	}
	// An unknown field (a newer server's) is skipped.
	var got metricsResponse
	if err := proto.Unmarshal(append(want, 0x10, 0x07), &got); err != nil || got.Text != "a 1\n" {
		t.Errorf("decoded %+v, %v", got, err)
	}
}

func TestHTTPMetricsCountByRoutePatternAndStatus(t *testing.T) {
	api, err := LoadOpenAPI([]byte(spec), "things.proto")
	if err != nil {
		t.Fatal(err)
	}
	m := newHTTPMetrics(api)
	h := m.instrument(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/missing") {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		_, _ = w.Write([]byte("ok")) // no WriteHeader: 200
	}))
	for _, req := range []struct{ method, path string }{
		{"GET", "/api/things/a"}, {"GET", "/api/things/b"}, {"GET", "/api/things/missing"},
		{"GET", "/api/things/filter"}, {"POST", "/api/things/c"}, {"GET", "/healthz"},
		{"GET", "/docs/swagger-ui.css"}, {"GET", "/no/such/page"}, {"BREW", "/api/things/a"},
	} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(req.method, req.path, nil))
	}
	var b strings.Builder
	m.render(&b)
	text := b.String()
	for _, line := range []string{
		`lmdbapi_gateway_http_requests_total{method="GET",route="/api/things/{id}",code="200"} 2`,
		`lmdbapi_gateway_http_requests_total{method="GET",route="/api/things/{id}",code="404"} 1`,
		`lmdbapi_gateway_http_requests_total{method="GET",route="/api/things/filter",code="200"} 1`,
		// A method the route does not take still gets the route's pattern.
		`lmdbapi_gateway_http_requests_total{method="POST",route="/api/things/{id}",code="200"} 1`,
		`lmdbapi_gateway_http_requests_total{method="OTHER",route="/api/things/{id}",code="200"} 1`,
		`lmdbapi_gateway_http_requests_total{method="GET",route="/healthz",code="200"} 1`,
		`lmdbapi_gateway_http_requests_total{method="GET",route="/docs/",code="200"} 1`,
		`lmdbapi_gateway_http_requests_total{method="GET",route="other",code="200"} 1`,
		`lmdbapi_gateway_http_request_duration_seconds_bucket{method="GET",route="/api/things/{id}",le="+Inf"} 3`,
		`lmdbapi_gateway_http_request_duration_seconds_count{method="GET",route="/api/things/{id}"} 3`,
		"# TYPE lmdbapi_gateway_http_request_duration_seconds histogram",
	} {
		if !strings.Contains(text, line+"\n") {
			t.Errorf("missing %s in:\n%s", line, text)
		}
	}
	if strings.Contains(text, "/api/things/a") || strings.Contains(text, "/no/such") {
		t.Errorf("a raw path is a label:\n%s", text)
	}
}

func TestMetricsWithoutABackendSayUpZero(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	conn, err := grpc.Dial(addr, grpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	m := newHTTPMetrics(nil)
	h := m.instrument(metricsHandler(conn, addr, m, 300*time.Millisecond))
	for i := 0; i < 2; i++ {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		body := rec.Body.String()
		if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain; version=0.0.4") {
			t.Fatalf("GET /metrics: %d %q", rec.Code, rec.Header().Get("Content-Type"))
		}
		if !strings.Contains(body, "\nlmdbapi_up 0\n") || !strings.Contains(body, "# the lmdbapi server's metrics are missing: UNAVAILABLE") {
			t.Errorf("no lmdbapi_up 0 or reason:\n%s", body)
		}
		// The previous scrape is counted in this one.
		want := fmt.Sprintf(`lmdbapi_gateway_http_requests_total{method="GET",route="/metrics",code="200"} %d`, i)
		if i > 0 && !strings.Contains(body, want) {
			t.Errorf("missing %s:\n%s", want, body)
		}
	}
}

func TestMetricsOfABackendWithoutAdminSayUpOne(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := grpc.NewServer() // no services: every method is UNIMPLEMENTED, as on the router
	go func() { _ = server.Serve(ln) }()
	defer server.Stop()
	conn, err := grpc.Dial(ln.Addr().String(), grpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rec := httptest.NewRecorder()
	metricsHandler(conn, ln.Addr().String(), newHTTPMetrics(nil), 2*time.Second).
		ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if body := rec.Body.String(); !strings.Contains(body, "\nlmdbapi_up 1\n") ||
		!strings.Contains(body, "serves no lmdbapi.admin.v1.Admin/Metrics") {
		t.Errorf("GET /metrics:\n%s", body)
	}
}
