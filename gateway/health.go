package gateway

import (
	"context"
	"net/http"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// The health service name under which the server reports its index builds
// (server/observability/index_build_log.h).
const indexBuildsHealth = "lmdbapi.index_builds"

// healthHandler answers /healthz from the backend's gRPC health service:
// 200 {"status":"SERVING"} when the server serves, else 503 with the reason.
// The server serves while it builds indexes online; "index_builds" says
// whether any is building or failed ("building") or none ("ready"), from
// the health service "lmdbapi.index_builds" (absent on older servers).
func healthHandler(conn *grpc.ClientConn, backend string) http.Handler {
	client := healthpb.NewHealthClient(conn)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		resp, err := client.Check(ctx, &healthpb.HealthCheckRequest{})
		if err != nil {
			s := status.Convert(err)
			if s.Code() == codes.DeadlineExceeded {
				s = status.Newf(codes.Unavailable, "the lmdbapi server at %s did not answer its health check in 2s", backend)
			}
			WriteStatus(w, status.Errorf(codes.Unavailable, "%s", s.Message()))
			return
		}
		if resp.Status != healthpb.HealthCheckResponse_SERVING {
			WriteStatus(w, status.Errorf(codes.Unavailable, "the lmdbapi server at %s is %s", backend, resp.Status))
			return
		}
		body := map[string]string{"status": "SERVING", "backend": backend}
		if builds, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: indexBuildsHealth}); err == nil {
			body["index_builds"] = "ready"
			if builds.Status != healthpb.HealthCheckResponse_SERVING {
				body["index_builds"] = "building"
			}
		}
		writeJSON(w, http.StatusOK, body)
	})
}
