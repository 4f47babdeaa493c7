package gateway

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang/protobuf/proto"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/status"
)

// GET /metrics: the server's metrics (lmdbapi.admin.v1.Admin/Metrics, open
// even when the server wants a bearer token), lmdbapi_up, and the gateway's
// own HTTP metrics, in Prometheus text format 0.0.4.

const metricsMethod = "/lmdbapi.admin.v1.Admin/Metrics"

// metricsRequest and metricsResponse are lmdbapi.admin.v1.MetricsRequest and
// MetricsResponse (proto/lmdbapi/admin.proto), written by hand for
// golang/protobuf 1.3's struct-tag codec: the gateway library has no
// generated code of its own.
type metricsRequest struct{}

func (*metricsRequest) Reset()         {}
func (*metricsRequest) String() string { return "MetricsRequest{}" }
func (*metricsRequest) ProtoMessage()  {}

type metricsResponse struct {
	Text string `protobuf:"bytes,1,opt,name=text,proto3"`
}

func (m *metricsResponse) Reset()         { *m = metricsResponse{} }
func (m *metricsResponse) String() string { return proto.CompactTextString(m) }
func (*metricsResponse) ProtoMessage()    {}

// httpBuckets are the upper bounds of the latency histogram, in seconds (the
// server's, then up to the 10 s default request timeout).
var httpBuckets = []float64{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
	0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

type httpCount struct {
	method, route string
	code          int
}

type httpLatency struct{ method, route string }

type histogram struct {
	buckets []uint64 // per bucket, not cumulative; the last one is +Inf
	sum     float64
}

// httpMetrics counts the gateway's requests by method, route and status,
// and times them by method and route. Routes are URL patterns
// ("/api/permits/{uuid}"), never raw paths, so the series stay few.
type httpMetrics struct {
	api       *OpenAPI
	mu        sync.Mutex
	counts    map[httpCount]uint64
	latencies map[httpLatency]*histogram
}

func newHTTPMetrics(api *OpenAPI) *httpMetrics {
	return &httpMetrics{api: api, counts: map[httpCount]uint64{},
		latencies: map[httpLatency]*histogram{}}
}

// knownMethods bounds the method label: clients may send any token.
var knownMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true,
	"PATCH": true, "DELETE": true, "OPTIONS": true}

// route is the pattern a request's path matches: an OpenAPI path (with its
// method if one matches, else with any), one of the gateway's own pages, or
// "other".
func (m *httpMetrics) route(method, path string) string {
	segments := strings.Split(strings.Trim(path, "/"), "/")
	if m.api != nil {
		for _, anyMethod := range []bool{false, true} {
			for i := range m.api.routes {
				r := &m.api.routes[i]
				want := method
				if anyMethod {
					want = r.method
				}
				if r.matches(want, segments) {
					return "/" + strings.Join(r.segments, "/")
				}
			}
		}
	}
	switch {
	case path == "/healthz" || path == "/openapi.json" || path == "/metrics" || path == "/docs":
		return path
	case strings.HasPrefix(path, "/docs/"):
		return "/docs/"
	}
	return "other"
}

func (m *httpMetrics) observe(method, route string, code int, elapsed time.Duration) {
	if !knownMethods[method] {
		method = "OTHER"
	}
	seconds := elapsed.Seconds()
	bucket := sort.SearchFloat64s(httpBuckets, seconds) // first bound >= seconds
	m.mu.Lock()
	defer m.mu.Unlock()
	m.counts[httpCount{method, route, code}]++
	h := m.latencies[httpLatency{method, route}]
	if h == nil {
		h = &histogram{buckets: make([]uint64, len(httpBuckets)+1)}
		m.latencies[httpLatency{method, route}] = h
	}
	h.buckets[bucket]++
	h.sum += seconds
}

// instrument counts and times every request `next` serves.
func (m *httpMetrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		m.observe(r.Method, m.route(r.Method, r.URL.Path), rec.status, time.Since(start))
	})
}

// render appends the gateway's families, series sorted for stable output.
func (m *httpMetrics) render(b *strings.Builder) {
	m.mu.Lock()
	defer m.mu.Unlock()
	counts := make([]httpCount, 0, len(m.counts))
	for k := range m.counts {
		counts = append(counts, k)
	}
	sort.Slice(counts, func(i, j int) bool {
		a, c := counts[i], counts[j]
		if a.route != c.route {
			return a.route < c.route
		}
		if a.method != c.method {
			return a.method < c.method
		}
		return a.code < c.code
	})
	b.WriteString("# HELP lmdbapi_gateway_http_requests_total HTTP requests the gateway answered, " +
		"by method, route (URL pattern) and status.\n" +
		"# TYPE lmdbapi_gateway_http_requests_total counter\n")
	for _, k := range counts {
		fmt.Fprintf(b, "lmdbapi_gateway_http_requests_total{method=%q,route=%q,code=\"%d\"} %d\n",
			k.method, k.route, k.code, m.counts[k])
	}
	latencies := make([]httpLatency, 0, len(m.latencies))
	for k := range m.latencies {
		latencies = append(latencies, k)
	}
	sort.Slice(latencies, func(i, j int) bool {
		a, c := latencies[i], latencies[j]
		return a.route < c.route || (a.route == c.route && a.method < c.method)
	})
	b.WriteString("# HELP lmdbapi_gateway_http_request_duration_seconds Time the gateway took " +
		"to answer an HTTP request, by method and route.\n" +
		"# TYPE lmdbapi_gateway_http_request_duration_seconds histogram\n")
	for _, k := range latencies {
		h := m.latencies[k]
		labels := fmt.Sprintf("method=%q,route=%q", k.method, k.route)
		var cumulative uint64
		for i, n := range h.buckets {
			cumulative += n
			le := "+Inf"
			if i < len(httpBuckets) {
				le = strconv.FormatFloat(httpBuckets[i], 'f', -1, 64)
			}
			fmt.Fprintf(b, "lmdbapi_gateway_http_request_duration_seconds_bucket{%s,le=%q} %d\n",
				labels, le, cumulative)
		}
		fmt.Fprintf(b, "lmdbapi_gateway_http_request_duration_seconds_sum{%s} %s\n",
			labels, strconv.FormatFloat(h.sum, 'f', -1, 64))
		fmt.Fprintf(b, "lmdbapi_gateway_http_request_duration_seconds_count{%s} %d\n",
			labels, cumulative)
	}
}

// serverMetrics asks the server for its metrics, waiting at most `timeout`;
// at once UNAVAILABLE when the connection is known to be down.
func serverMetrics(ctx context.Context, conn *grpc.ClientConn, backend string, timeout time.Duration) (string, error) {
	if state := conn.GetState(); state == connectivity.TransientFailure {
		return "", status.Errorf(codes.Unavailable, "the lmdbapi server at %s is not reachable (connection %s)",
			backend, state)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var resp metricsResponse
	err := conn.Invoke(ctx, metricsMethod, &metricsRequest{}, &resp)
	if status.Code(err) == codes.DeadlineExceeded {
		return "", status.Errorf(codes.Unavailable, "the lmdbapi server at %s did not answer in %v (connection %s)",
			backend, timeout, conn.GetState())
	}
	return resp.Text, err
}

// metricsHandler answers GET /metrics. When the server does not answer, the
// gateway's own metrics still come, with lmdbapi_up 0. A backend without the
// Admin service (the fan-out router) is up with no metrics of its own.
func metricsHandler(conn *grpc.ClientConn, backend string, m *httpMetrics, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeJSON(w, http.StatusMethodNotAllowed, ErrorBody{http.StatusMethodNotAllowed,
				"UNIMPLEMENTED", fmt.Sprintf("method %s is not allowed on /metrics; use GET", r.Method)})
			return
		}
		if timeout > 2*time.Second {
			timeout = 2 * time.Second
		}
		text, err := serverMetrics(r.Context(), conn, backend, timeout)
		var b strings.Builder
		up := 1
		switch {
		case err == nil:
			b.WriteString(text)
		case status.Code(err) == codes.Unimplemented:
			// Up, but with no metrics to give: the fan-out router (--shards).
			b.WriteString("# the backend serves no lmdbapi.admin.v1.Admin/Metrics (a fan-out router?)\n")
		default:
			up = 0
			// A comment line: scrapers skip it, people read it.
			fmt.Fprintf(&b, "# the lmdbapi server's metrics are missing: %s: %s\n",
				codeName(status.Code(err)),
				strings.ReplaceAll(status.Convert(err).Message(), "\n", " "))
		}
		fmt.Fprintf(&b, "# HELP lmdbapi_up 1 when the lmdbapi server answered this scrape's "+
			"Metrics call, else 0.\n# TYPE lmdbapi_up gauge\nlmdbapi_up %d\n", up)
		m.render(&b)
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_, _ = w.Write([]byte(b.String()))
	})
}
