package gateway_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenAPIDescribesEveryRouteWithUniqueOperationIDs(t *testing.T) {
	s := startStack(t, serverEnv, gatewayEnv)
	r := call(t, "GET", s.base+"/openapi.json", "")
	if r.status != 200 {
		t.Fatalf("openapi.json: %d", r.status)
	}
	var doc struct {
		Swagger string                                       `json:"swagger"`
		Info    map[string]string                            `json:"info"`
		Paths   map[string]map[string]map[string]interface{} `json:"paths"`
	}
	if err := json.Unmarshal([]byte(r.raw), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Swagger != "2.0" || !strings.Contains(doc.Info["title"], "proto/examples/permits.proto") {
		t.Errorf("swagger %q, info %v", doc.Swagger, doc.Info)
	}
	ids := map[string]string{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			id, _ := op["operationId"].(string)
			if other, dup := ids[id]; dup {
				t.Errorf("operationId %s of %s %s is also %s", id, method, path, other)
			}
			ids[id] = method + " " + path
			if _, ok := op["responses"].(map[string]interface{})["default"]; !ok {
				t.Errorf("%s %s documents no error response", method, path)
			}
		}
	}
	for _, want := range []string{"post /api/permits/insert-record", "get /api/permits/get-record",
		"put /api/permits/update/{permit.uuid}", "get /api/permits/{uuid}",
		"get /api/permits/{permit_uuid}/inspection-reports", "delete /api/processing-statuses/{uuid}",
		"get /api/permits/count", "get /api/permits/{permit_uuid}/inspection-reports/count"} {
		parts := strings.SplitN(want, " ", 2)
		if doc.Paths[parts[1]][parts[0]] == nil {
			t.Errorf("openapi.json lacks %s", want)
		}
	}
	if ids["Permits_Insert"] == "" || ids["InspectionReports_Filter"] == "" || ids["Permits_Count"] == "" {
		t.Errorf("operation ids: %v", ids)
	}
	// The query parameters of issue 15, each documented once, read_mask as
	// one string (not FieldMask's read_mask.paths).
	for route, want := range map[string][]string{
		"/api/permits/filter": {"filter", "order_by", "read_mask"},
		"/api/permits":        {"filter", "order_by", "read_mask"},
		"/api/permits/{uuid}": {"read_mask"},
		"/api/permits/count":  {"filter", "county"},
	} {
		params := map[string]map[string]interface{}{}
		list, _ := doc.Paths[route]["get"]["parameters"].([]interface{})
		for _, raw := range list {
			p := raw.(map[string]interface{})
			params[p["name"].(string)] = p
		}
		for _, name := range want {
			p := params[name]
			if p == nil || p["in"] != "query" || p["type"] != "string" || p["description"] == "" {
				t.Errorf("GET %s: parameter %s is %v; all: %v", route, name, p, params)
			}
		}
		if _, ok := params["read_mask.paths"]; ok {
			t.Errorf("GET %s documents read_mask.paths", route)
		}
	}
}

func TestDocsServesSwaggerUIFromTheBinary(t *testing.T) {
	s := startStack(t, serverEnv, gatewayEnv)
	page := call(t, "GET", s.base+"/docs", "")
	if page.status != 200 || !strings.Contains(page.raw, "swagger-ui-bundle.js") ||
		!strings.Contains(page.raw, "/openapi.json") || strings.Contains(page.raw, "https://") {
		t.Fatalf("/docs: %d\n%s", page.status, page.raw)
	}
	for _, asset := range []string{"swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"} {
		r := call(t, "GET", s.base+"/docs/"+asset, "")
		if r.status != 200 || len(r.raw) < 1000 {
			t.Errorf("/docs/%s: %d, %d bytes", asset, r.status, len(r.raw))
		}
	}
}

// Chromium (Debian's, headless) renders /docs; the rendered page must list
// the permits operations. The screenshot is kept as a test artifact.
func TestDocsPageListsThePermitsOperationsInChromium(t *testing.T) {
	chromium := os.Getenv("LMDBAPI_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	s := startStack(t, serverEnv, gatewayEnv)
	artifacts := os.Getenv("TEST_UNDECLARED_OUTPUTS_DIR") // Bazel
	if artifacts == "" {
		artifacts = os.Getenv("LMDBAPI_TEST_ARTIFACTS") // CTest
	}
	if artifacts == "" {
		artifacts = t.TempDir()
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	screenshot := filepath.Join(artifacts, "docs.png")
	profile := t.TempDir()
	common := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--user-data-dir=" + profile, "--virtual-time-budget=20000",
		"--window-size=1280,2200"}
	dom, err := exec.Command(chromium, append(common, "--dump-dom", s.base+"/docs")...).Output()
	if err != nil {
		t.Fatalf("%s --dump-dom: %v", chromium, err)
	}
	text := string(dom)
	for _, want := range []string{"Permits", "InspectionReports", "ProcessingStatuses",
		"/api/permits/insert-record", "/api/permits/get-record", "/api/permits/{uuid}",
		"lmdbapi: proto/examples/permits.proto"} {
		if !strings.Contains(text, want) {
			t.Errorf("the rendered /docs does not show %q", want)
		}
	}
	if t.Failed() {
		_ = os.WriteFile(filepath.Join(artifacts, "docs.html"), dom, 0o644)
	}
	if out, err := exec.Command(chromium, append(common, "--screenshot="+screenshot, s.base+"/docs")...).CombinedOutput(); err != nil {
		t.Fatalf("%s --screenshot: %v\n%s", chromium, err, out)
	}
	if info, err := os.Stat(screenshot); err != nil || info.Size() < 10000 {
		t.Fatalf("screenshot %s: %v", screenshot, err)
	}
	t.Logf("screenshot: %s", screenshot)
}

func TestAUsersSchemaGetsItsGatewayThroughTheSameRule(t *testing.T) {
	s := startStack(t, "LMDBAPI_LIBRARY_SERVER", "LMDBAPI_LIBRARY_GATEWAY")
	book := ok(t, "POST", s.base+"/api/books", `{"title": "Dune", "author": "Herbert", "year": 1965, "isbn": "0441013597"}`)
	id := str(book, "id")
	if id == "" {
		t.Fatalf("book: %v", book)
	}
	if got := ok(t, "GET", s.base+"/api/books/"+id, ""); str(got, "title") != "Dune" {
		t.Fatalf("get book: %v", got)
	}
	ok(t, "POST", s.base+"/api/books/"+id+"/loans", `{"member": "Ann"}`)
	if got := list(ok(t, "GET", s.base+"/api/books/"+id+"/loans", ""), "loans"); len(got) != 1 {
		t.Fatalf("loans: %v", got)
	}
	fails(t, 409, "POST", s.base+"/api/books", `{"title": "Dune again", "isbn": "0441013597"}`, "by_isbn")
}
