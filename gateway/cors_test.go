package gateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func corsRequest(h http.Handler, method, origin string, preflight bool) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "/api/permits", nil)
	if origin != "" {
		r.Header.Set("Origin", origin)
	}
	if preflight {
		r.Header.Set("Access-Control-Request-Method", "PATCH")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.WriteHeader(http.StatusOK)
})

func TestAnAllowedOriginGetsCORSHeadersAndAPreflightAnswer(t *testing.T) {
	h := cors([]string{"https://app.example.com"}, okHandler)
	rec := corsRequest(h, "GET", "https://app.example.com", false)
	if rec.Code != 200 || rec.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		!strings.Contains(rec.Header().Get("Access-Control-Expose-Headers"), "ETag") {
		t.Errorf("GET: %d %v", rec.Code, rec.Header())
	}
	rec = corsRequest(h, "OPTIONS", "https://app.example.com", true)
	if rec.Code != http.StatusNoContent ||
		!strings.Contains(rec.Header().Get("Access-Control-Allow-Methods"), "PATCH") ||
		!strings.Contains(rec.Header().Get("Access-Control-Allow-Headers"), "If-Match") {
		t.Errorf("preflight: %d %v", rec.Code, rec.Header())
	}
	if rec.Header().Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("credentials allowed: %v", rec.Header())
	}
}

func TestAnOriginNotListedGetsNoCORSHeaders(t *testing.T) {
	h := cors([]string{"https://app.example.com"}, okHandler)
	rec := corsRequest(h, "GET", "https://evil.example.com", false)
	if rec.Code != 200 || rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("GET: %d %v", rec.Code, rec.Header())
	}
	rec = corsRequest(h, "OPTIONS", "https://evil.example.com", true)
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "-cors_origins") {
		t.Errorf("preflight: %d %s", rec.Code, rec.Body.String())
	}
}

func TestStarAllowsAnyOriginAndNoListMeansNoCORS(t *testing.T) {
	rec := corsRequest(cors([]string{"*"}, okHandler), "GET", "http://localhost:3000", false)
	if rec.Header().Get("Access-Control-Allow-Origin") != "http://localhost:3000" {
		t.Errorf("*: %v", rec.Header())
	}
	rec = corsRequest(cors(nil, okHandler), "GET", "http://localhost:3000", false)
	if rec.Header().Get("Access-Control-Allow-Origin") != "" || rec.Header().Get("Vary") != "" {
		t.Errorf("no list: %v", rec.Header())
	}
}

func TestCORSOriginsMustBeOrigins(t *testing.T) {
	for _, bad := range []string{"app.example.com", "https://app.example.com/"} {
		if _, err := parseOrigins(bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	got, err := parseOrigins(" https://a.example, http://localhost:3000 ")
	if err != nil || len(got) != 2 || got[1] != "http://localhost:3000" {
		t.Errorf("%v %v", got, err)
	}
}
