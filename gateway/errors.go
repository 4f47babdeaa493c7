package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrorBody is every error the gateway answers: the HTTP status it is sent
// with, the gRPC status name, and a message that says what to change.
type ErrorBody struct {
	Code    int    `json:"code"`    // the HTTP status, e.g. 404
	Status  string `json:"status"`  // the gRPC status, e.g. "NOT_FOUND"
	Message string `json:"message"` // e.g. "no Permit with uuid '…'"
}

// HTTPStatus maps a gRPC code to the HTTP status the gateway answers with:
// NOT_FOUND 404, INVALID_ARGUMENT/OUT_OF_RANGE 400, ALREADY_EXISTS 409,
// ABORTED and FAILED_PRECONDITION 412, RESOURCE_EXHAUSTED 429, UNAVAILABLE
// 503, DEADLINE_EXCEEDED 504, UNAUTHENTICATED 401, PERMISSION_DENIED 403,
// UNIMPLEMENTED 501, CANCELLED 408, anything else 500. That is
// grpc-gateway's table but for ABORTED: the server answers it when a record
// is not at the revision a write expected (expected_revision, If-Match), and
// RFC 9110 makes a failed If-Match 412 Precondition Failed; 409 stays for a
// key or unique value that is taken.
func HTTPStatus(c codes.Code) int {
	if c == codes.Aborted {
		return http.StatusPreconditionFailed
	}
	return runtime.HTTPStatusFromCode(c)
}

// retryAfter is the Retry-After of a 429 or 503, in seconds: long enough
// for an overloaded or restarting server, short enough not to idle clients.
const retryAfter = "1"

// adviseClient adds the headers HTTP defines for an error status: how to
// authenticate after a 401 (RFC 9110 §11.6.1), when to retry a 429 or 503.
func adviseClient(h http.Header, httpStatus int) {
	switch httpStatus {
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", `Bearer realm="lmdbapi"`)
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		h.Set("Retry-After", retryAfter)
	}
}

// codeName is the canonical upper-case name of a gRPC code.
func codeName(c codes.Code) string {
	names := map[codes.Code]string{
		codes.OK: "OK", codes.Canceled: "CANCELLED", codes.Unknown: "UNKNOWN",
		codes.InvalidArgument: "INVALID_ARGUMENT", codes.DeadlineExceeded: "DEADLINE_EXCEEDED",
		codes.NotFound: "NOT_FOUND", codes.AlreadyExists: "ALREADY_EXISTS",
		codes.PermissionDenied: "PERMISSION_DENIED", codes.ResourceExhausted: "RESOURCE_EXHAUSTED",
		codes.FailedPrecondition: "FAILED_PRECONDITION", codes.Aborted: "ABORTED",
		codes.OutOfRange: "OUT_OF_RANGE", codes.Unimplemented: "UNIMPLEMENTED",
		codes.Internal: "INTERNAL", codes.Unavailable: "UNAVAILABLE", codes.DataLoss: "DATA_LOSS",
		codes.Unauthenticated: "UNAUTHENTICATED",
	}
	if n, ok := names[c]; ok {
		return n
	}
	return fmt.Sprintf("CODE_%d", c)
}

func writeJSON(w http.ResponseWriter, httpStatus int, v interface{}) {
	adviseClient(w.Header(), httpStatus)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Del("Trailer")
	w.WriteHeader(httpStatus)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteStatus answers err (a gRPC status, or any error as UNKNOWN → 500).
func WriteStatus(w http.ResponseWriter, err error) {
	s := status.Convert(err)
	code := HTTPStatus(s.Code())
	writeJSON(w, code, ErrorBody{Code: code, Status: codeName(s.Code()), Message: s.Message()})
}

// badRequest answers 400 INVALID_ARGUMENT with a message.
func badRequest(w http.ResponseWriter, format string, args ...interface{}) {
	WriteStatus(w, status.Errorf(codes.InvalidArgument, format, args...))
}

// installErrorHandlers makes every error the grpc-gateway runtime answers an
// ErrorBody: backend errors, body and query-parameter errors, and the
// runtime's own 404 (no route) and 405 (wrong method).
func installErrorHandlers() {
	runtime.HTTPError = func(_ context.Context, _ *runtime.ServeMux, _ runtime.Marshaler,
		w http.ResponseWriter, _ *http.Request, err error) {
		WriteStatus(w, err)
	}
	runtime.OtherErrorHandler = func(w http.ResponseWriter, r *http.Request, _ string, code int) {
		switch code {
		case http.StatusNotFound:
			writeJSON(w, code, ErrorBody{code, "NOT_FOUND",
				fmt.Sprintf("no route for %s %s (see /openapi.json or /docs)", r.Method, r.URL.Path)})
		case http.StatusMethodNotAllowed:
			writeJSON(w, code, ErrorBody{code, "UNIMPLEMENTED",
				fmt.Sprintf("method %s is not allowed on %s", r.Method, r.URL.Path)})
		default:
			writeJSON(w, code, ErrorBody{code, codeName(codes.InvalidArgument),
				fmt.Sprintf("%s %s: %s", r.Method, r.URL.Path, http.StatusText(code))})
		}
	}
}
