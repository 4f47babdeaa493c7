package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/golang/protobuf/jsonpb"
	"github.com/golang/protobuf/ptypes/any"
	"github.com/grpc-ecosystem/grpc-gateway/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrorBody is every error the gateway answers: the HTTP status it is sent
// with, the gRPC status name, a message that says what to change, and the
// status's details as the server sent them (google.rpc.ErrorInfo with the
// reason, google.rpc.BadRequest with the field), each an Any in JSON:
// {"@type": "type.googleapis.com/google.rpc.BadRequest",
// "field_violations": [{"field": "fee_cents", "description": "…"}]}.
type ErrorBody struct {
	Code    int               `json:"code"`              // the HTTP status, e.g. 404
	Status  string            `json:"status"`            // the gRPC status, e.g. "NOT_FOUND"
	Message string            `json:"message"`           // e.g. "no Permit with uuid '…'"
	Details []json.RawMessage `json:"details,omitempty"` // google.rpc.* details
}

// detailsJSON is each detail as JSON; one of a type this gateway does not
// know is left out rather than failing the whole answer.
func detailsJSON(details []*any.Any) []json.RawMessage {
	m := jsonpb.Marshaler{OrigName: true}
	var out []json.RawMessage
	for _, d := range details {
		var buf bytes.Buffer
		if err := m.Marshal(&buf, d); err == nil {
			out = append(out, json.RawMessage(buf.Bytes()))
		}
	}
	return out
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

// storageFull are the ErrorInfo reasons of a RESOURCE_EXHAUSTED that waiting
// does not cure: the server's map reached its limit, or its disk is full.
var storageFull = map[string]bool{"MAP_FULL": true, "DISK_FULL": true}

// statusHTTP is HTTPStatus of s's code, but 507 Insufficient Storage (RFC
// 4918) for a RESOURCE_EXHAUSTED whose ErrorInfo reason says storage is
// full: a 429 would tell clients to retry after a second, which cannot help.
func statusHTTP(s *status.Status) int {
	if s.Code() == codes.ResourceExhausted && storageFull[reason(s)] {
		return http.StatusInsufficientStorage
	}
	return HTTPStatus(s.Code())
}

// reason is the google.rpc.ErrorInfo reason of s's details, or "".
func reason(s *status.Status) string {
	for _, d := range s.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.Reason
		}
	}
	return ""
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

// WriteStatus answers err (a gRPC status, or any error as UNKNOWN → 500):
// statusHTTP's status, the advice headers, ErrorBody with the details.
func WriteStatus(w http.ResponseWriter, err error) {
	s := status.Convert(err)
	code := statusHTTP(s)
	writeJSON(w, code, ErrorBody{Code: code, Status: codeName(s.Code()), Message: s.Message(),
		Details: detailsJSON(s.Proto().GetDetails())})
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
			writeJSON(w, code, ErrorBody{Code: code, Status: "NOT_FOUND",
				Message: fmt.Sprintf("no route for %s %s (see /openapi.json or /docs)", r.Method, r.URL.Path)})
		case http.StatusMethodNotAllowed:
			writeJSON(w, code, ErrorBody{Code: code, Status: "UNIMPLEMENTED",
				Message: fmt.Sprintf("method %s is not allowed on %s", r.Method, r.URL.Path)})
		default:
			writeJSON(w, code, ErrorBody{Code: code, Status: codeName(codes.InvalidArgument),
				Message: fmt.Sprintf("%s %s: %s", r.Method, r.URL.Path, http.StatusText(code))})
		}
	}
}
