package gateway

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang/protobuf/proto"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
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

// parse reads a whole /metrics answer as Prometheus would, failing on a
// family given twice or a malformed line.
func parse(t *testing.T, text string) map[string]*dto.MetricFamily {
	t.Helper()
	var parser expfmt.TextParser
	families, err := parser.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("not Prometheus text: %v\n%s", err, text)
	}
	return families
}

// render is m's exposition as a string, with lmdbapi_up 1.
func render(t *testing.T, m *httpMetrics) string {
	t.Helper()
	var b bytes.Buffer
	if err := m.render(&b, true); err != nil {
		t.Fatal(err)
	}
	return b.String()
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
	text := render(t, m)
	// The client library writes labels in name order, le last.
	for _, line := range []string{
		`lmdbapi_gateway_http_requests_total{code="200",method="GET",route="/api/things/{id}"} 2`,
		`lmdbapi_gateway_http_requests_total{code="404",method="GET",route="/api/things/{id}"} 1`,
		`lmdbapi_gateway_http_requests_total{code="200",method="GET",route="/api/things/filter"} 1`,
		// A method the route does not take still gets the route's pattern.
		`lmdbapi_gateway_http_requests_total{code="200",method="POST",route="/api/things/{id}"} 1`,
		`lmdbapi_gateway_http_requests_total{code="200",method="OTHER",route="/api/things/{id}"} 1`,
		`lmdbapi_gateway_http_requests_total{code="200",method="GET",route="/healthz"} 1`,
		`lmdbapi_gateway_http_requests_total{code="200",method="GET",route="/docs/"} 1`,
		`lmdbapi_gateway_http_requests_total{code="200",method="GET",route="other"} 1`,
		`lmdbapi_gateway_http_request_duration_seconds_bucket{method="GET",route="/api/things/{id}",le="+Inf"} 3`,
		`lmdbapi_gateway_http_request_duration_seconds_count{method="GET",route="/api/things/{id}"} 3`,
		"# TYPE lmdbapi_gateway_http_requests_total counter",
		"# TYPE lmdbapi_gateway_http_request_duration_seconds histogram",
	} {
		if !strings.Contains(text, line+"\n") {
			t.Errorf("missing %s in:\n%s", line, text)
		}
	}
	if strings.Contains(text, "/api/things/a") || strings.Contains(text, "/no/such") {
		t.Errorf("a raw path is a label:\n%s", text)
	}
	families := parse(t, text)
	if n := len(families["lmdbapi_gateway_http_requests_total"].GetMetric()); n != 8 {
		t.Errorf("%d request series; want 8", n)
	}
	for _, series := range families["lmdbapi_gateway_http_request_duration_seconds"].GetMetric() {
		var bounds []float64
		for _, b := range series.GetHistogram().GetBucket() {
			bounds = append(bounds, b.GetUpperBound())
		}
		want := append(append([]float64{}, httpBuckets...), math.Inf(1)) // the parser adds +Inf
		if !reflect.DeepEqual(bounds, want) {
			t.Errorf("buckets %v; want %v", bounds, want)
		}
	}
}

func TestExpositionHasTheClientLibrarysAndTheBuildsMetrics(t *testing.T) {
	defer func(v string) { Version = v }(Version)
	Version = "1.2.3-test"
	text := render(t, newHTTPMetrics(nil))
	for _, line := range []string{
		"# TYPE go_goroutines gauge", "# TYPE process_cpu_seconds_total counter",
		"# TYPE process_resident_memory_bytes gauge", "# TYPE go_memstats_heap_alloc_bytes gauge",
		`lmdbapi_gateway_build_info{version="1.2.3-test"} 1`, "lmdbapi_up 1",
	} {
		if !strings.Contains(text, line+"\n") {
			t.Errorf("missing %s in:\n%s", line, text)
		}
	}
	families := parse(t, text)
	if g := families["go_goroutines"].GetMetric()[0].GetGauge().GetValue(); g < 1 {
		t.Errorf("go_goroutines %v", g)
	}
	// The process's own figures (CPU time may still be 0 in clock ticks).
	if m := families["process_resident_memory_bytes"].GetMetric()[0].GetGauge().GetValue(); m <= 0 {
		t.Errorf("process_resident_memory_bytes %v", m)
	}
	// No request yet: the families appear with their first series.
	if _, ok := families["lmdbapi_gateway_http_requests_total"]; ok {
		t.Errorf("request counts before any request:\n%s", text)
	}
}

// instrumentedMetrics is the gateway's /metrics handler, itself counted, over
// a connection to addr; done closes the connection.
func instrumentedMetrics(t *testing.T, addr string, timeout time.Duration) (http.Handler, func()) {
	conn, err := grpc.Dial(addr, grpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	m := newHTTPMetrics(nil)
	return m.instrument(metricsHandler(conn, addr, m, timeout)), func() { conn.Close() }
}

func TestMetricsWithoutABackendSayUpZero(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	h, done := instrumentedMetrics(t, addr, 300*time.Millisecond)
	defer done()
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
		want := fmt.Sprintf(`lmdbapi_gateway_http_requests_total{code="200",method="GET",route="/metrics"} %d`, i)
		if i > 0 && !strings.Contains(body, want) {
			t.Errorf("missing %s:\n%s", want, body)
		}
		parse(t, body)
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

// serverText stands for the server's Admin/Metrics answer.
const serverText = "# HELP lmdbapi_requests_total Calls.\n# TYPE lmdbapi_requests_total counter\n" +
	"lmdbapi_requests_total{service=\"Permits\",method=\"Get\",code=\"OK\"} 3\n"

// serveAdminMetrics serves lmdbapi.admin.v1.Admin/Metrics answering serverText.
func serveAdminMetrics(t *testing.T) (addr string, stop func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := grpc.NewServer()
	server.RegisterService(&grpc.ServiceDesc{ServiceName: "lmdbapi.admin.v1.Admin",
		HandlerType: (*interface{})(nil),
		Methods: []grpc.MethodDesc{{MethodName: "Metrics", Handler: func(_ interface{}, _ context.Context,
			decode func(interface{}) error, _ grpc.UnaryServerInterceptor) (interface{}, error) {
			var req metricsRequest
			if err := decode(&req); err != nil {
				return nil, err
			}
			return &metricsResponse{Text: serverText}, nil
		}}}}, struct{}{})
	go func() { _ = server.Serve(ln) }()
	return ln.Addr().String(), server.Stop
}

func TestMetricsAreTheGatewaysThenTheServers(t *testing.T) {
	addr, stop := serveAdminMetrics(t)
	defer stop()
	h, done := instrumentedMetrics(t, addr, 2*time.Second)
	defer done()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/metrics", nil))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	if !strings.HasSuffix(body, "\n"+serverText) || !strings.Contains(body, "\nlmdbapi_up 1\n") {
		t.Fatalf("not the gateway's metrics, lmdbapi_up 1, then the server's:\n%s", body)
	}
	families := parse(t, body)
	for _, name := range []string{"lmdbapi_requests_total", "lmdbapi_gateway_http_requests_total",
		"lmdbapi_gateway_http_request_duration_seconds", "lmdbapi_gateway_build_info", "go_goroutines",
		"process_cpu_seconds_total"} {
		if families[name] == nil {
			t.Errorf("no %s in:\n%s", name, body)
		}
	}
}
