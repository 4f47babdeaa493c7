package gateway

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// What protoc-gen-swagger makes of a Get and a Paginate with read_mask.
const maskSpec = `{"swagger": "2.0", "paths": {
  "/api/things/{id}": {"get": {"operationId": "Get", "tags": ["Things"],
      "responses": {"200": {"schema": {"$ref": "#/definitions/Thing"}}},
      "parameters": [{"name": "id", "in": "path", "type": "string"},
                     {"name": "read_mask.paths", "in": "query", "type": "array",
                      "items": {"type": "string"}}]}},
  "/api/things": {"get": {"operationId": "Paginate", "tags": ["Things"],
      "responses": {"200": {"schema": {"$ref": "#/definitions/ThingPage"}}},
      "parameters": [{"name": "filter", "in": "query", "type": "string"},
                     {"name": "order_by", "in": "query", "type": "string"},
                     {"name": "read_mask.paths", "in": "query", "type": "array",
                      "items": {"type": "string"}}]}},
  "/api/things/watch": {"get": {"operationId": "Watch", "tags": ["Things"], "responses": {},
      "parameters": [{"name": "filter.read_mask.paths", "in": "query", "type": "array",
                      "items": {"type": "string"}}]}}},
 "definitions": {
  "Thing": {"properties": {"id": {"type": "string"}, "where": {"$ref": "#/definitions/Where"},
      "tags": {"type": "array", "items": {"type": "string"}}}},
  "ThingPage": {"properties": {"things": {"type": "array", "items": {"$ref": "#/definitions/Thing"}},
      "next_page_token": {"type": "string"}, "plan": {"type": "string"}}}}}`

func TestReadMaskIsOneCommaSeparatedQueryParameter(t *testing.T) {
	api, err := LoadOpenAPI([]byte(maskSpec), "things.proto")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, query string }{
		{"/api/things/a", "read_mask=id,where.city"},
		{"/api/things", "filter=name%3D%22x%22&order_by=id%20desc&read_mask=id"},
		{"/api/things/watch", "filter.read_mask=id"},
	} {
		values, _ := url.ParseQuery(c.query)
		if got := api.CheckQuery("GET", c.path, values); got != "" {
			t.Errorf("GET %s?%s: %s", c.path, c.query, got)
		}
	}
	if strings.Contains(string(api.JSON), "read_mask.paths") ||
		!strings.Contains(string(api.JSON), `"name": "read_mask"`) ||
		!strings.Contains(string(api.JSON), "AIP-157") {
		t.Errorf("openapi.json documents read_mask as:\n%s", api.JSON)
	}
}

func serveWithMask(api *OpenAPI, status int, body, target string) *httptest.ResponseRecorder {
	h := api.trimToReadMask(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
	return rec
}

func TestReadMaskLeavesOnlyTheMaskedKeysOfEachRecord(t *testing.T) {
	api, err := LoadOpenAPI([]byte(maskSpec), "things.proto")
	if err != nil {
		t.Fatal(err)
	}
	record := `{"id":"a","where":{"city":"Oslo","zip":"0150"},"tags":[]}`
	for _, c := range []struct{ target, body, want string }{
		{"/api/things/a?read_mask=id,where.city", record, `{"id":"a","where":{"city":"Oslo"}}`},
		{"/api/things/a?read_mask=where,where.zip", record, `{"where":{"city":"Oslo","zip":"0150"}}`},
		{"/api/things/a", record, record},
		{"/api/things?read_mask=id", `{"things":[` + record + `,{"id":"b","tags":["x"]}],"next_page_token":"t","plan":"p"}`,
			`{"things":[{"id":"a"},{"id":"b"}],"next_page_token":"t","plan":"p"}`},
	} {
		if rec := serveWithMask(api, 200, c.body, c.target); rec.Code != 200 || rec.Body.String() != c.want {
			t.Errorf("GET %s: %d %s, want %s", c.target, rec.Code, rec.Body.String(), c.want)
		}
	}
	bad := `{"code":400,"status":"INVALID_ARGUMENT","message":"read_mask: 'nope' is not a field of Thing"}`
	if rec := serveWithMask(api, 400, bad, "/api/things/a?read_mask=nope"); rec.Code != 400 || rec.Body.String() != bad {
		t.Errorf("an error is passed on as is: %d %s", rec.Code, rec.Body.String())
	}
}
