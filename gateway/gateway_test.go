package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang/protobuf/proto"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestErrorsCarryTheHeadersHTTPDefinesForThem(t *testing.T) {
	cases := []struct {
		code          codes.Code
		header, value string
	}{
		{codes.Unauthenticated, "WWW-Authenticate", `Bearer realm="lmdbapi"`},
		{codes.ResourceExhausted, "Retry-After", "1"},
		{codes.Unavailable, "Retry-After", "1"},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		WriteStatus(rec, status.Error(c.code, "why"))
		if got := rec.Header().Get(c.header); got != c.value {
			t.Errorf("%v: %s = %q, want %q", c.code, c.header, got, c.value)
		}
	}
	rec := httptest.NewRecorder()
	WriteStatus(rec, status.Error(codes.NotFound, "why"))
	if rec.Header().Get("Retry-After") != "" || rec.Header().Get("WWW-Authenticate") != "" {
		t.Errorf("404 with advice headers: %v", rec.Header())
	}
}

func TestABodyOverTheLimitIs413(t *testing.T) {
	reached := false
	h := limits(Config{MaxBodyBytes: 8, Timeout: time.Second},
		checkBodyUTF8(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true })))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/api/permits", strings.NewReader(`{"client": "too long"}`)))
	if reached {
		t.Error("an oversized body reached the handler")
	}
	if rec.Code != http.StatusRequestEntityTooLarge ||
		!strings.Contains(rec.Body.String(), "-max_body_bytes") {
		t.Errorf("HTTP %d %s, want 413 naming -max_body_bytes", rec.Code, rec.Body.String())
	}
}

func TestEveryGRPCCodeMapsToItsHTTPStatus(t *testing.T) {
	want := map[codes.Code]int{
		codes.InvalidArgument: 400, codes.OutOfRange: 400, codes.NotFound: 404,
		codes.AlreadyExists: 409, codes.Aborted: 412, codes.FailedPrecondition: 412,
		codes.ResourceExhausted: 429, codes.Internal: 500, codes.Unknown: 500, codes.DataLoss: 500,
		codes.Unimplemented: 501, codes.Unavailable: 503, codes.DeadlineExceeded: 504,
		codes.Unauthenticated: 401, codes.PermissionDenied: 403, codes.Canceled: 408,
	}
	for code, httpStatus := range want {
		rec := httptest.NewRecorder()
		WriteStatus(rec, status.Error(code, "why"))
		if rec.Code != httpStatus {
			t.Errorf("%v: HTTP %d, want %d", code, rec.Code, httpStatus)
		}
		body := rec.Body.String()
		if !strings.Contains(body, `"message":"why"`) || !strings.Contains(body, `"status":"`+codeName(code)+`"`) {
			t.Errorf("%v: body %s", code, body)
		}
	}
	rec := httptest.NewRecorder()
	WriteStatus(rec, errFake{})
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("a non-gRPC error: HTTP %d, want 500", rec.Code)
	}
}

type errFake struct{}

func (errFake) Error() string { return "plain error" }

func TestConfigTakesFlagsThenEnvironmentThenDefaults(t *testing.T) {
	env := map[string]string{"HOST_URL": "127.0.0.1:9090", "LMDBAPI_REQUEST_TIMEOUT": "250ms"}
	c, err := ParseConfig("gw", []string{"-backend=127.0.0.1:7000"}, func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Backend != "127.0.0.1:7000" || c.Listen != "127.0.0.1:9090" || c.Timeout != 250*time.Millisecond ||
		c.BackendWait != 3*time.Second || c.LogLevel != "info" {
		t.Errorf("config: %+v", c)
	}
	env["LMDBAPI_HTTP_LISTEN"] = "127.0.0.1:9191"
	if c, _ = ParseConfig("gw", nil, func(k string) string { return env[k] }, nil); c.Listen != "127.0.0.1:9191" {
		t.Errorf("LMDBAPI_HTTP_LISTEN comes before HOST_URL: %s", c.Listen)
	}
	env["LMDBAPI_REQUEST_TIMEOUT"] = "soon"
	_, err = ParseConfig("gw", nil, func(k string) string { return env[k] }, nil)
	if err == nil || !strings.Contains(err.Error(), "$LMDBAPI_REQUEST_TIMEOUT (-timeout)") {
		t.Errorf("a bad variable is named with its flag: %v", err)
	}
}

func TestVersionFlagPrintsTheVersionAndStopsFirst(t *testing.T) {
	var out bytes.Buffer
	defer func(w io.Writer, v string) { versionOutput, Version = w, v }(versionOutput, Version)
	versionOutput, Version = &out, "1.2.3"
	// A bad variable does not matter: -version answers before it is read.
	env := map[string]string{"LMDBAPI_REQUEST_TIMEOUT": "soon"}
	_, err := ParseConfig("gw", []string{"-version"}, func(k string) string { return env[k] }, nil)
	if !errors.Is(err, flag.ErrHelp) || out.String() != "gw (lmdbapi gateway) 1.2.3\n" {
		t.Errorf("-version: %v, printed %q", err, out.String())
	}
	// Run exits 0 without starting: the empty Schema has no assets to serve.
	out.Reset()
	var stderr bytes.Buffer
	if code := Run(Schema{}, []string{"-version"}, func(string) string { return "" }, &stderr); code != 0 ||
		!strings.HasSuffix(out.String(), " (lmdbapi gateway) 1.2.3\n") || stderr.Len() != 0 {
		t.Errorf("Run -version: exit %d, stdout %q, stderr %q", code, out.String(), stderr.String())
	}
}

const spec = `{"swagger": "2.0", "paths": {
  "/api/things/{id}": {"get": {"operationId": "Get", "tags": ["Things"], "responses": {"200": {}},
      "parameters": [{"name": "id", "in": "path", "type": "string"}]},
    "delete": {"operationId": "Delete", "tags": ["Things"], "responses": {"200": {}},
      "parameters": [{"name": "id", "in": "path", "type": "string"}]}},
  "/api/things/filter": {"get": {"operationId": "Filter", "tags": ["Things"], "responses": {},
      "parameters": [{"name": "n", "in": "query", "type": "integer", "format": "int32"},
                     {"name": "big", "in": "query", "type": "string", "format": "uint64"},
                     {"name": "x", "in": "query", "type": "number", "format": "double"},
                     {"name": "on", "in": "query", "type": "boolean"},
                     {"name": "at", "in": "query", "type": "string", "format": "date-time"},
                     {"name": "kind", "in": "query", "type": "string", "enum": ["A", "B"]}]}}}}`

func TestQueryParametersAreCheckedAgainstTheOperation(t *testing.T) {
	api, err := LoadOpenAPI([]byte(spec), "things.proto")
	if err != nil {
		t.Fatal(err)
	}
	for query, want := range map[string]string{
		"n=5&big=18446744073709551615&x=-1.5e3&on=true&at=2024-01-02T03:04:05.5Z&kind=B": "",
		"n=5000000000":  "'n': '5000000000' is not a 32-bit integer",
		"big=-1":        "'big': '-1' is not an unsigned 64-bit integer",
		"x=one":         "'x': 'one' is not a number",
		"on=1":          "'on': '1' is not true or false",
		"at=2024-01-02": "'at': '2024-01-02' is not an RFC 3339 time",
		"kind=C":        "'kind': 'C' is not one of A, B",
		"m=1":           "unknown query parameter 'm' for GET /api/things/filter; expected one of: n, big",
		"n=1&n=2":       "'n' is given 2 times",
	} {
		values, _ := url.ParseQuery(query)
		got := api.CheckQuery("GET", "/api/things/filter", values)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("%s: got %q, want %q", query, got, want)
		}
	}
	// The literal route wins over the {id} route; {id} takes no query.
	if got := api.CheckQuery("GET", "/api/things/abc", url.Values{"n": {"1"}}); !strings.Contains(got, "takes no query parameters") {
		t.Errorf("GET /api/things/abc?n=1: %q", got)
	}
	// Unknown routes are left to the router.
	if got := api.CheckQuery("GET", "/api/other", url.Values{"n": {"x"}}); got != "" {
		t.Errorf("unknown route: %q", got)
	}
	if !strings.Contains(string(api.JSON), `"Things_Filter"`) || !strings.Contains(string(api.JSON), "lmdbapiError") {
		t.Errorf("operation ids are prefixed with the service, errors documented:\n%s", api.JSON)
	}
}

func TestOpenAPIDeclaresTheBearerTokenAndTheConditionalHeaders(t *testing.T) {
	api, err := LoadOpenAPI([]byte(spec), "things.proto")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		SecurityDefinitions map[string]struct{ Type, In, Name string } `json:"securityDefinitions"`
		Security            []map[string][]string                      `json:"security"`
		Paths               map[string]map[string]struct {
			Parameters []struct{ Name, In string }                         `json:"parameters"`
			Responses  map[string]struct{ Headers map[string]interface{} } `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(api.JSON, &doc); err != nil {
		t.Fatal(err)
	}
	if b := doc.SecurityDefinitions["bearer"]; b.In != "header" || b.Name != "Authorization" || len(doc.Security) != 1 {
		t.Errorf("security: %+v %+v", doc.SecurityDefinitions, doc.Security)
	}
	ops := doc.Paths["/api/things/{id}"]
	if _, ok := ops["get"].Responses["200"].Headers["ETag"]; !ok {
		t.Errorf("GET 200 without ETag: %+v", ops["get"])
	}
	last := ops["delete"].Parameters[len(ops["delete"].Parameters)-1]
	if last.Name != "If-Match" || last.In != "header" {
		t.Errorf("DELETE without If-Match: %+v", ops["delete"].Parameters)
	}
	for _, p := range ops["get"].Parameters {
		if p.Name == "If-Match" {
			t.Errorf("GET takes If-Match: %+v", ops["get"].Parameters)
		}
	}
}

// withDetails is a gRPC status error of code carrying details.
func withDetails(t *testing.T, code codes.Code, details ...proto.Message) error {
	s, err := status.New(code, "why").WithDetails(details...)
	if err != nil {
		t.Fatal(err)
	}
	return s.Err()
}

func TestTheStatusDetailsAreInTheBody(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteStatus(rec, withDetails(t, codes.InvalidArgument,
		&errdetails.ErrorInfo{Reason: "INVALID_FIELD", Domain: "lmdbapi"},
		&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
			{Field: "fee_cents", Description: "field 'fee_cents': not a number"}}}))
	var body struct {
		Details []map[string]interface{} `json:"details"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body.Details) != 2 {
		t.Fatalf("HTTP %d %s: want two details (%v)", rec.Code, rec.Body.String(), err)
	}
	if body.Details[0]["@type"] != "type.googleapis.com/google.rpc.ErrorInfo" ||
		body.Details[0]["reason"] != "INVALID_FIELD" {
		t.Errorf("first detail %v, want the ErrorInfo", body.Details[0])
	}
	violations, _ := body.Details[1]["field_violations"].([]interface{})
	if len(violations) != 1 || violations[0].(map[string]interface{})["field"] != "fee_cents" {
		t.Errorf("second detail %v, want a BadRequest naming fee_cents", body.Details[1])
	}
	rec = httptest.NewRecorder()
	WriteStatus(rec, status.Error(codes.NotFound, "why"))
	if strings.Contains(rec.Body.String(), "details") {
		t.Errorf("a status without details: body %s", rec.Body.String())
	}
}

func TestAFullMapOrDiskIs507WithoutRetryAfterAndOverloadStays429(t *testing.T) {
	for _, reason := range []string{"MAP_FULL", "DISK_FULL"} {
		rec := httptest.NewRecorder()
		WriteStatus(rec, withDetails(t, codes.ResourceExhausted,
			&errdetails.ErrorInfo{Reason: reason, Domain: "lmdbapi"}))
		if rec.Code != http.StatusInsufficientStorage || rec.Header().Get("Retry-After") != "" {
			t.Errorf("%s: HTTP %d Retry-After %q, want 507 and none", reason, rec.Code,
				rec.Header().Get("Retry-After"))
		}
	}
	rec := httptest.NewRecorder()
	WriteStatus(rec, withDetails(t, codes.ResourceExhausted,
		&errdetails.ErrorInfo{Reason: "OVERLOADED", Domain: "lmdbapi"}))
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" {
		t.Errorf("overload: HTTP %d Retry-After %q, want 429 and 1", rec.Code,
			rec.Header().Get("Retry-After"))
	}
}
