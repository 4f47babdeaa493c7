package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// OpenAPI is the description protoc-gen-swagger generated from the service
// .proto (OpenAPI 2.0), completed for serving: a title naming the schema,
// operation ids unique across services ("Permits_Filter"), and the error
// body on every operation. Its routes also check query parameters.
type OpenAPI struct {
	JSON   []byte  // served at /openapi.json
	routes []route // every operation, for query-parameter checks
}

type param struct {
	Name   string   `json:"name"`
	In     string   `json:"in"`
	Type   string   `json:"type"`
	Format string   `json:"format"`
	Enum   []string `json:"enum"`
}

type route struct {
	method      string
	segments    []string // "{uuid}" segments are variables
	literals    int
	query       map[string]param
	names       []string // query parameters in the order documented
	pageRecords string   // the key of a page's records; "" if not a page
}

// LoadOpenAPI completes the generated description of schema file `file`.
func LoadOpenAPI(generated []byte, file string) (*OpenAPI, error) {
	var doc map[string]interface{}
	if err := json.Unmarshal(generated, &doc); err != nil {
		return nil, fmt.Errorf("openapi.json: %v", err)
	}
	doc["info"] = map[string]interface{}{
		"title":   "lmdbapi: " + file,
		"version": "1",
		"description": "REST/JSON API of the tables of " + file + ", served by lmdbapi-gateway " +
			"in front of the lmdbapi gRPC server. JSON uses the proto field names; 64-bit " +
			"integers are strings. Every error is {code, status, message}.",
	}
	defs, _ := doc["definitions"].(map[string]interface{})
	if defs == nil {
		defs = map[string]interface{}{}
		doc["definitions"] = defs
	}
	defs["lmdbapiError"] = map[string]interface{}{
		"type": "object",
		"properties": map[string]interface{}{
			"code":    map[string]interface{}{"type": "integer", "description": "HTTP status"},
			"status":  map[string]interface{}{"type": "string", "description": "gRPC status name"},
			"message": map[string]interface{}{"type": "string"},
		},
	}
	// The bearer token (a server with --auth_token): the docs page's
	// Authorize button sends it with every call it tries.
	doc["securityDefinitions"] = map[string]interface{}{
		"bearer": map[string]interface{}{
			"type": "apiKey", "in": "header", "name": "Authorization",
			"description": "`Bearer <token>`, when the server wants one (--auth_token).",
		},
	}
	doc["security"] = []interface{}{map[string]interface{}{"bearer": []interface{}{}}}
	api := &OpenAPI{}
	paths, _ := doc["paths"].(map[string]interface{})
	for path, item := range paths {
		ops, _ := item.(map[string]interface{})
		for method, raw := range ops {
			op, _ := raw.(map[string]interface{})
			if op == nil {
				continue
			}
			if tags, _ := op["tags"].([]interface{}); len(tags) > 0 {
				if id, ok := op["operationId"].(string); ok {
					op["operationId"] = fmt.Sprintf("%v_%s", tags[0], id)
				}
			}
			if responses, ok := op["responses"].(map[string]interface{}); ok {
				responses["default"] = map[string]interface{}{
					"description": "An error: 400 bad input, 401 no or wrong token, 404 no such " +
						"record, 409 a unique index or key is taken, 412 no such parent or the " +
						"record is not at the If-Match revision, 413 body too large, 429/503 " +
						"retry after Retry-After seconds, 504 timeout.",
					"schema": map[string]interface{}{"$ref": "#/definitions/lmdbapiError"},
				}
				documentConditionalHeaders(method, op, responses)
			}
			op["parameters"] = documentReadMask(op["parameters"])
			r, err := newRoute(strings.ToUpper(method), path, op["parameters"])
			if err != nil {
				return nil, err
			}
			r.pageRecords = pageRecords(op, defs)
			api.routes = append(api.routes, r)
		}
	}
	// Most literal segments first: /api/permits/filter before /api/permits/{uuid}.
	sort.SliceStable(api.routes, func(i, j int) bool {
		return api.routes[i].literals > api.routes[j].literals
	})
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	api.JSON = out
	return api, nil
}

// documentConditionalHeaders: a record's answer carries its revision as
// ETag, and a write that replaces, patches or deletes one takes If-Match (the
// gateway passes it to the server as the expected revision).
func documentConditionalHeaders(method string, op, responses map[string]interface{}) {
	if ok, _ := responses["200"].(map[string]interface{}); ok != nil {
		ok["headers"] = map[string]interface{}{"ETag": map[string]interface{}{
			"type": "string", "description": "the record's (or commit's) revision, quoted"}}
	}
	switch method {
	case "put", "patch", "delete":
		params, _ := op["parameters"].([]interface{})
		op["parameters"] = append(params, map[string]interface{}{
			"name": "If-Match", "in": "header", "type": "string", "required": false,
			"description": "write only if the record is at this revision (\"42\"); else 412",
		})
	}
}

func newRoute(method, path string, rawParams interface{}) (route, error) {
	r := route{method: method, segments: strings.Split(strings.Trim(path, "/"), "/"),
		query: map[string]param{}}
	for _, s := range r.segments {
		if !strings.HasPrefix(s, "{") {
			r.literals++
		}
	}
	encoded, _ := json.Marshal(rawParams)
	var params []param
	if err := json.Unmarshal(encoded, &params); err != nil {
		return r, fmt.Errorf("openapi.json: parameters of %s %s: %v", method, path, err)
	}
	for _, p := range params {
		if p.In == "query" {
			r.query[p.Name] = p
			r.names = append(r.names, p.Name)
		}
	}
	return r, nil
}

func (r *route) matches(method string, segments []string) bool {
	if r.method != method || len(r.segments) != len(segments) {
		return false
	}
	for i, s := range r.segments {
		if !strings.HasPrefix(s, "{") && s != segments[i] {
			return false
		}
	}
	return true
}

// CheckQuery returns a message naming the parameter when a query of a
// documented operation has a parameter the operation does not take, one given
// twice, or a value that is not of the parameter's type. Requests no operation
// matches are left to the router (404/405).
func (a *OpenAPI) CheckQuery(method, path string, query url.Values) string {
	r := a.routeFor(method, path)
	if r == nil {
		return ""
	}
	names := make([]string, 0, len(query))
	for name := range query {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p, ok := r.query[name]
		if !ok {
			if len(r.names) == 0 {
				return fmt.Sprintf("%s %s takes no query parameters; got '%s'", method, path, name)
			}
			return fmt.Sprintf("unknown query parameter '%s' for %s %s; expected one of: %s",
				name, method, path, strings.Join(r.names, ", "))
		}
		if len(query[name]) != 1 {
			return fmt.Sprintf("query parameter '%s' is given %d times; give it once",
				name, len(query[name]))
		}
		if why := checkValue(p, query[name][0]); why != "" {
			return fmt.Sprintf("query parameter '%s': '%s' %s", name, query[name][0], why)
		}
	}
	return ""
}

// routeFor is the documented operation a request reaches (nil: none).
func (a *OpenAPI) routeFor(method, path string) *route {
	segments := strings.Split(strings.Trim(path, "/"), "/")
	for i := range a.routes {
		if a.routes[i].matches(method, segments) {
			return &a.routes[i]
		}
	}
	return nil
}

func checkValue(p param, v string) string {
	if len(p.Enum) > 0 {
		for _, e := range p.Enum {
			if v == e {
				return ""
			}
		}
		return "is not one of " + strings.Join(p.Enum, ", ")
	}
	var err error
	switch {
	case p.Type == "integer" || p.Format == "int32":
		_, err = strconv.ParseInt(v, 10, 32)
		if err != nil {
			return "is not a 32-bit integer"
		}
	case p.Format == "uint32":
		_, err = strconv.ParseUint(v, 10, 32)
		if err != nil {
			return "is not an unsigned 32-bit integer"
		}
	case p.Format == "int64":
		_, err = strconv.ParseInt(v, 10, 64)
		if err != nil {
			return "is not a 64-bit integer"
		}
	case p.Format == "uint64":
		_, err = strconv.ParseUint(v, 10, 64)
		if err != nil {
			return "is not an unsigned 64-bit integer"
		}
	case p.Type == "number":
		_, err = strconv.ParseFloat(v, 64)
		if err != nil {
			return "is not a number"
		}
	case p.Type == "boolean":
		if v != "true" && v != "false" {
			return "is not true or false"
		}
	case p.Format == "date-time":
		if _, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return "is not an RFC 3339 time such as 2024-05-01T00:00:00Z"
		}
	}
	return ""
}

// checkQueries answers 400 for a request whose query CheckQuery refuses.
func (a *OpenAPI) checkQueries(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery != "" {
			query, err := url.ParseQuery(r.URL.RawQuery)
			if err != nil {
				badRequest(w, "the query string is malformed: %v", err)
				return
			}
			if msg := a.CheckQuery(r.Method, r.URL.Path, query); msg != "" {
				badRequest(w, "%s", msg)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
