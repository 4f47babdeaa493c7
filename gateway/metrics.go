package gateway

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golang/protobuf/proto"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/status"
)

// GET /metrics: the gateway's own metrics (HTTP requests, lmdbapi_up, its
// build, and the Prometheus Go client's go_* and process_* ones), then the
// server's (lmdbapi.admin.v1.Admin/Metrics, open even when the server wants a
// bearer token), in Prometheus text format 0.0.4.

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

// httpMetrics counts the gateway's requests by method, route and status,
// and times them by method and route. Routes are URL patterns
// ("/api/permits/{uuid}"), never raw paths, so the series stay few. Its own
// registry, not the client library's global one, so that each gateway (and
// each test) counts only its own requests.
type httpMetrics struct {
	api       *OpenAPI
	registry  *prometheus.Registry
	requests  *prometheus.CounterVec
	latencies *prometheus.HistogramVec
}

func newHTTPMetrics(api *OpenAPI) *httpMetrics {
	m := &httpMetrics{api: api, registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lmdbapi_gateway_http_requests_total",
			Help: "HTTP requests the gateway answered, by method, route (URL pattern) and status.",
		}, []string{"method", "route", "code"}),
		latencies: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "lmdbapi_gateway_http_request_duration_seconds",
			Help:    "Time the gateway took to answer an HTTP request, by method and route.",
			Buckets: httpBuckets,
		}, []string{"method", "route"}),
	}
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "lmdbapi_gateway_build_info",
		Help:        "Always 1; the version label is the gateway's (set at link time).",
		ConstLabels: prometheus.Labels{"version": Version},
	})
	buildInfo.Set(1)
	m.registry.MustRegister(m.requests, m.latencies, buildInfo, collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
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
	m.requests.WithLabelValues(method, route, strconv.Itoa(code)).Inc()
	m.latencies.WithLabelValues(method, route).Observe(elapsed.Seconds())
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

// render writes the gateway's families in the text format, with lmdbapi_up.
// lmdbapi_up lives in a registry of this scrape's own, not in m.registry, so
// that concurrent scrapes cannot report each other's answer.
func (m *httpMetrics) render(w io.Writer, up bool) error {
	upGauge := prometheus.NewGauge(prometheus.GaugeOpts{Name: "lmdbapi_up",
		Help: "1 when the lmdbapi server answered this scrape's Metrics call, else 0."})
	if up {
		upGauge.Set(1)
	}
	scrape := prometheus.NewRegistry()
	scrape.MustRegister(upGauge)
	// On an error Gather still returns every family it could gather: write them.
	families, err := prometheus.Gatherers{m.registry, scrape}.Gather()
	encoder := expfmt.NewEncoder(w, expfmt.FmtText)
	for _, f := range families {
		if encodeErr := encoder.Encode(f); encodeErr != nil {
			return encodeErr
		}
	}
	return err
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
// gateway's own metrics still come, with lmdbapi_up 0.
func metricsHandler(conn *grpc.ClientConn, backend string, m *httpMetrics, timeout time.Duration) http.Handler {
	// A scrape answers (with lmdbapi_up 0 if need be) well within a scraper's
	// own timeout, however long -timeout is. Clamped here, once: the handler
	// runs concurrently and must not write a shared variable.
	if timeout > 2*time.Second {
		timeout = 2 * time.Second
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeJSON(w, http.StatusMethodNotAllowed, ErrorBody{Code: http.StatusMethodNotAllowed,
				Status: "UNIMPLEMENTED", Message: fmt.Sprintf("method %s is not allowed on /metrics; use GET", r.Method)})
			return
		}
		text, up := serverPart(serverMetrics(r.Context(), conn, backend, timeout))
		var b bytes.Buffer
		if err := m.render(&b, up); err != nil {
			// Still a scrape: the families gathered, and why some are not.
			fmt.Fprintf(&b, "# the gateway's metrics are incomplete: %s\n",
				strings.ReplaceAll(err.Error(), "\n", " "))
		}
		b.WriteString(text)
		w.Header().Set("Content-Type", string(expfmt.FmtText))
		_, _ = w.Write(b.Bytes())
	})
}

// serverPart is what follows the gateway's families: the server's text, or a
// comment line saying why there is none (scrapers skip it, people read it);
// up is whether the server answered. A backend without the Admin service
// (the fan-out router, --shards) is up with no metrics of its own.
func serverPart(text string, err error) (string, bool) {
	switch {
	case err == nil:
		return text, true
	case status.Code(err) == codes.Unimplemented:
		return "# the backend serves no lmdbapi.admin.v1.Admin/Metrics (a fan-out router?)\n", true
	}
	return fmt.Sprintf("# the lmdbapi server's metrics are missing: %s: %s\n", codeName(status.Code(err)),
		strings.ReplaceAll(status.Convert(err).Message(), "\n", " ")), false
}
