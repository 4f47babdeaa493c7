package gateway

import (
	"fmt"
	"net/http"
	"strings"
)

// CORS: a browser application served from another origin may call the REST
// API when its origin is in -cors_origins ("*": any origin). Allowed
// requests get Access-Control-Allow-Origin (the origin itself, with
// Vary: Origin) and see the headers a client acts on; a preflight (OPTIONS
// with Access-Control-Request-Method) is answered here, 204, without
// reaching the server. Credentials travel in the Authorization header, not
// in cookies, so Access-Control-Allow-Credentials is never sent. Without
// -cors_origins no CORS header is sent and browsers keep other origins out.

const (
	corsMethods = "GET, POST, PUT, PATCH, DELETE"
	corsHeaders = "Authorization, Content-Type, If-Match, X-Shard-Key"
	corsExposed = "ETag, Retry-After, WWW-Authenticate"
	corsMaxAge  = "600" // seconds a browser may cache a preflight's answer
)

type corsPolicy struct {
	any     bool
	origins map[string]bool
}

func newCORSPolicy(origins []string) corsPolicy {
	p := corsPolicy{origins: map[string]bool{}}
	for _, o := range origins {
		if o == "*" {
			p.any = true
		}
		p.origins[o] = true
	}
	return p
}

func (p corsPolicy) allows(origin string) bool { return p.any || p.origins[origin] }

// cors wraps next with the policy of origins (none: next as it is).
func cors(origins []string, next http.Handler) http.Handler {
	if len(origins) == 0 {
		return next
	}
	policy := newCORSPolicy(origins)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		preflight := r.Method == http.MethodOptions &&
			r.Header.Get("Access-Control-Request-Method") != ""
		w.Header().Add("Vary", "Origin")
		if origin == "" || !policy.allows(origin) {
			if preflight {
				writeJSON(w, http.StatusForbidden, ErrorBody{Code: http.StatusForbidden,
					Status: "PERMISSION_DENIED", Message: fmt.Sprintf("origin %q is not in -cors_origins", origin)})
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", origin)
		if preflight {
			w.Header().Set("Access-Control-Allow-Methods", corsMethods)
			w.Header().Set("Access-Control-Allow-Headers", corsHeaders)
			w.Header().Set("Access-Control-Max-Age", corsMaxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Access-Control-Expose-Headers", corsExposed)
		next.ServeHTTP(w, r)
	})
}

// parseOrigins reads -cors_origins: comma-separated scheme://host[:port]
// origins, or "*".
func parseOrigins(v string) ([]string, error) {
	var origins []string
	for _, o := range strings.Split(v, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if o != "*" && (!strings.Contains(o, "://") || strings.HasSuffix(o, "/")) {
			return nil, fmt.Errorf("expects origins like https://app.example.com (no path), or *; got %q", o)
		}
		origins = append(origins, o)
	}
	return origins, nil
}
