// End-to-end tests of the REST gateway: the real permits server and the real
// permits gateway, started on loopback ports they pick, called with net/http.
package gateway_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	serverEnv  = "LMDBAPI_PERMITS_SERVER"
	gatewayEnv = "LMDBAPI_PERMITS_GATEWAY"
)

func TestTheSeedsRESTCallsWorkVerbatim(t *testing.T) {
	s := startStack(t, serverEnv, gatewayEnv)
	stored := ok(t, "POST", s.base+"/api/permits/insert-record",
		`{ "client": "Acme", "county": "NY", "county_status": "Active" }`)
	uuid := str(stored, "uuid")
	if len(uuid) != 36 || str(stored, "client") != "Acme" || str(stored, "county_status") != "Active" {
		t.Fatalf("stored record: %v", stored)
	}
	page := ok(t, "GET", s.base+"/api/permits/get-record?county=NY", "")
	if got := list(page, "permits"); len(got) != 1 || str(got[0], "uuid") != uuid {
		t.Fatalf("get-record?county=NY: %v", page)
	}
	updated := ok(t, "PUT", s.base+"/api/permits/update/"+uuid,
		`{ "client": "Acme", "county": "NY", "county_status": "Closed" }`)
	if str(updated, "uuid") != uuid || str(updated, "county_status") != "Closed" {
		t.Fatalf("update: %v", updated)
	}
	if got := ok(t, "GET", s.base+"/api/permits/"+uuid, ""); str(got, "county_status") != "Closed" {
		t.Fatalf("after update: %v", got)
	}
}

func TestResourcePathsCreateReadUpdateDelete(t *testing.T) {
	s := startStack(t, serverEnv, gatewayEnv)
	stored := ok(t, "POST", s.base+"/api/permits", `{"permit_number": "P-1", "client": "Acme",
		"county": "Kings", "status": "APPROVED", "issued": "2024-03-01T10:00:00Z", "fee_cents": "12500"}`)
	uuid := str(stored, "uuid")
	if str(stored, "status") != "APPROVED" || str(stored, "fee_cents") != "12500" ||
		str(stored, "issued") != "2024-03-01T10:00:00Z" {
		t.Fatalf("stored: %v", stored)
	}
	// Every field is in the JSON, zero values included, under its proto name.
	for _, field := range []string{"uuid", "permit_number", "client", "county", "county_status",
		"status", "issued", "expires", "address", "fee_cents"} {
		if _, present := stored[field]; !present {
			t.Errorf("field %s missing from %v", field, stored)
		}
	}
	got := ok(t, "GET", s.base+"/api/permits/"+uuid, "")
	if str(got, "permit_number") != "P-1" {
		t.Fatalf("get: %v", got)
	}
	ok(t, "PUT", s.base+"/api/permits/"+uuid, `{"permit_number": "P-1", "client": "Acme", "address": "1 Main St"}`)
	if got := ok(t, "GET", s.base+"/api/permits/"+uuid, ""); str(got, "address") != "1 Main St" || str(got, "county") != "" {
		t.Fatalf("PUT replaces the record: %v", got)
	}
	ok(t, "DELETE", s.base+"/api/permits/"+uuid, "")
	fails(t, http.StatusNotFound, "GET", s.base+"/api/permits/"+uuid, "", uuid)

	other := str(ok(t, "POST", s.base+"/api/permits", `{"client": "B"}`), "uuid")
	ok(t, "DELETE", s.base+"/api/permits/delete/"+other, "")
	fails(t, http.StatusNotFound, "DELETE", s.base+"/api/permits/delete/"+other, "", other)
}

func TestBatchInsertStoresAllOrNone(t *testing.T) {
	s := startStack(t, serverEnv, gatewayEnv)
	batch := ok(t, "POST", s.base+"/api/permits/batch",
		`{"permits": [{"client": "A", "permit_number": "N-1"}, {"client": "A", "permit_number": "N-2"}]}`)
	if got := list(batch, "permits"); len(got) != 2 || str(got[0], "uuid") == "" {
		t.Fatalf("batch: %v", batch)
	}
	ok(t, "POST", s.base+"/api/permits/batch-insert", `{"permits": [{"client": "A", "permit_number": "N-3"}]}`)
	// N-4 is new but N-1 is taken (unique index): nothing of this batch is stored.
	fails(t, http.StatusConflict, "POST", s.base+"/api/permits/batch",
		`{"permits": [{"client": "A", "permit_number": "N-4"}, {"client": "A", "permit_number": "N-1"}]}`,
		"by_permit_number")
	page := ok(t, "GET", s.base+"/api/permits/filter?client=A", "")
	if got := list(page, "permits"); len(got) != 3 {
		t.Fatalf("want N-1..N-3 only, got %v", page)
	}
}

func TestFilterTakesTypedQueryParameters(t *testing.T) {
	s := startStack(t, serverEnv, gatewayEnv)
	for i, p := range []string{
		`{"client": "Acme", "county": "NY", "status": "APPROVED", "issued": "2024-01-10T00:00:00Z", "fee_cents": "100"}`,
		`{"client": "Acme", "county": "NY", "status": "PENDING", "issued": "2024-02-10T00:00:00Z", "fee_cents": "200"}`,
		`{"client": "Acme", "county": "CA", "status": "APPROVED", "issued": "2024-03-10T00:00:00Z", "fee_cents": "300"}`,
		`{"client": "Bolt", "county": "NY", "status": "APPROVED", "issued": "2024-04-10T00:00:00Z", "fee_cents": "400"}`,
	} {
		if got := ok(t, "POST", s.base+"/api/permits", p); str(got, "uuid") == "" {
			t.Fatalf("insert %d: %v", i, got)
		}
	}
	cases := []struct {
		query string
		want  int
		plan  string
	}{
		{"client=Acme&county=NY&status=APPROVED", 1, "main_composite"},
		{"client=Acme&county=NY", 2, "main_composite"},
		{"client=Acme", 3, "main_composite"},
		{"issued_min=2024-02-01T00:00:00Z&issued_max=2024-03-31T00:00:00Z", 2, "by_issued"},
		{"status=APPROVED", 3, ""},
		{"fee_cents_min=150&fee_cents_max=350", 2, ""},
		{"county=NY&fee_cents=400", 1, ""},
	}
	for _, c := range cases {
		page := ok(t, "GET", s.base+"/api/permits/filter?"+c.query, "")
		if got := list(page, "permits"); len(got) != c.want {
			t.Errorf("filter?%s: %d records, want %d: %v", c.query, len(got), c.want, page)
		}
		if c.plan != "" && !contains(str(page, "plan"), c.plan) {
			t.Errorf("filter?%s: plan %q does not use %s", c.query, str(page, "plan"), c.plan)
		}
	}
}

func TestPageTokensPageThroughFilterAndPaginate(t *testing.T) {
	s := startStack(t, serverEnv, gatewayEnv)
	inserted := map[string]bool{}
	for i := 0; i < 5; i++ {
		got := ok(t, "POST", s.base+"/api/permits", fmt.Sprintf(`{"client": "Pager", "address": "%d"}`, i))
		inserted[str(got, "uuid")] = true
	}
	for _, path := range []string{"/api/permits/filter?client=Pager&page_size=2", "/api/permits?page_size=2",
		"/api/permits/paginate?page_size=2"} {
		seen, pages := map[string]bool{}, 0
		next := ""
		for {
			u := s.base + path
			if next != "" {
				u += "&page_token=" + url.QueryEscape(next)
			}
			page := ok(t, "GET", u, "")
			pages++
			for _, p := range list(page, "permits") {
				if seen[str(p, "uuid")] {
					t.Fatalf("%s: %s returned twice", path, str(p, "uuid"))
				}
				seen[str(p, "uuid")] = true
			}
			if next = str(page, "next_page_token"); next == "" || pages > 10 {
				break
			}
		}
		if len(seen) != 5 || pages != 3 {
			t.Errorf("%s: %d records in %d pages, want 5 in 3", path, len(seen), pages)
		}
		for uuid := range seen {
			if !inserted[uuid] {
				t.Errorf("%s: unexpected record %s", path, uuid)
			}
		}
	}
	// A token of one query is refused by another.
	first := ok(t, "GET", s.base+"/api/permits/filter?client=Pager&page_size=2", "")
	fails(t, http.StatusBadRequest, "GET", s.base+"/api/permits/filter?client=Other&page_token="+
		url.QueryEscape(str(first, "next_page_token")), "", "page_token")
}

func TestARotatedPageTokenSecretRefusesOldTokens(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	server := start(t, "server", binary(t, serverEnv), "--listen=127.0.0.1:0",
		"--data_dir="+data, "--durability=nosync")
	gw := start(t, "gateway", binary(t, gatewayEnv), "--listen=127.0.0.1:0",
		"--backend="+server.addr(), "--backend_wait=10s")
	base := "http://" + gw.addr()
	for i := 0; i < 3; i++ {
		ok(t, "POST", base+"/api/permits", `{"client": "Rotor"}`)
	}
	page := ok(t, "GET", base+"/api/permits/filter?client=Rotor&page_size=1", "")
	token := url.QueryEscape(str(page, "next_page_token"))
	if err := server.stop(); err != nil {
		t.Fatal(err)
	}
	start(t, "server", binary(t, serverEnv), "--listen="+server.addr(), "--data_dir="+data,
		"--durability=nosync", "--rotate_page_token_secret")
	fails(t, 400, "GET", base+"/api/permits/filter?client=Rotor&page_size=1&page_token="+token, "",
		"page_token", "rotat")
	ok(t, "GET", base+"/api/permits/filter?client=Rotor&page_size=1", "")
}

func TestLiteralRoutesWinOverKeyRoutes(t *testing.T) {
	s := startStack(t, serverEnv, gatewayEnv)
	parent := str(ok(t, "POST", s.base+"/api/permits", `{"client": "Acme"}`), "uuid")
	ok(t, "POST", s.base+"/api/permits/"+parent+"/inspection-reports", `{"inspector": "Kim"}`)
	for _, path := range []string{"/api/permits/filter", "/api/permits/get-record", "/api/permits/paginate"} {
		if got := list(ok(t, "GET", s.base+path, ""), "permits"); len(got) != 1 {
			t.Errorf("GET %s is not a page of the one permit: %v", path, got)
		}
	}
	for _, path := range []string{"/api/inspection-reports/filter", "/api/inspection-reports/get-record"} {
		if got := list(ok(t, "GET", s.base+path, ""), "inspection_reports"); len(got) != 1 {
			t.Errorf("GET %s is not a page of the one report: %v", path, got)
		}
	}
}

func TestSecondaryTablesLiveUnderTheirParent(t *testing.T) {
	s := startStack(t, serverEnv, gatewayEnv)
	parent := str(ok(t, "POST", s.base+"/api/permits", `{"client": "Acme"}`), "uuid")
	report := ok(t, "POST", s.base+"/api/permits/"+parent+"/inspection-reports",
		`{"inspector": "Kim", "passed": true, "inspected": "2024-05-01T09:00:00Z"}`)
	if str(report, "permit_uuid") != parent {
		t.Fatalf("the path's parent key is stored: %v", report)
	}
	ok(t, "POST", s.base+"/api/inspection-reports/insert-record",
		fmt.Sprintf(`{"permit_uuid": "%s", "inspector": "Lee", "passed": false}`, parent))
	status := ok(t, "POST", s.base+"/api/processing-statuses", fmt.Sprintf(`{"permit_uuid": "%s", "stage": "intake"}`, parent))
	if got := ok(t, "GET", s.base+"/api/processing-statuses/"+str(status, "uuid"), ""); str(got, "stage") != "intake" {
		t.Fatalf("get status: %v", got)
	}
	extra := ok(t, "POST", s.base+"/api/inspection-reports", fmt.Sprintf(`{"permit_uuid": "%s", "inspector": "Max"}`, parent))
	ok(t, "DELETE", s.base+"/api/inspection-reports/"+str(extra, "uuid"), "")
	fails(t, http.StatusNotFound, "GET", s.base+"/api/inspection-reports/"+str(extra, "uuid"), "")
	spare := ok(t, "POST", s.base+"/api/processing-statuses/insert-record", fmt.Sprintf(`{"permit_uuid": "%s", "stage": "spare"}`, parent))
	ok(t, "DELETE", s.base+"/api/processing-statuses/delete/"+str(spare, "uuid"), "")
	ok(t, "GET", s.base+"/api/processing-statuses/filter?stage=intake", "")
	if got := list(ok(t, "GET", s.base+"/api/processing-statuses/get-record?stage=spare", ""), "processing_statuses"); len(got) != 0 {
		t.Fatalf("deleted status still found: %v", got)
	}

	if got := list(ok(t, "GET", s.base+"/api/permits/"+parent+"/inspection-reports", ""), "inspection_reports"); len(got) != 2 {
		t.Fatalf("reports of the permit: %v", got)
	}
	passed := list(ok(t, "GET", s.base+"/api/inspection-reports/filter?passed=true", ""), "inspection_reports")
	if len(passed) != 1 || str(passed[0], "inspector") != "Kim" {
		t.Fatalf("passed=true: %v", passed)
	}
	if got := ok(t, "GET", s.base+"/api/inspection-reports/"+str(report, "uuid"), ""); str(got, "inspector") != "Kim" {
		t.Fatalf("get report: %v", got)
	}
	if got := list(ok(t, "GET", s.base+"/api/permits/"+parent+"/processing-statuses", ""), "processing_statuses"); len(got) != 1 {
		t.Fatalf("statuses of the permit: %v", got)
	}
	// Deleting the permit deletes its children in the same transaction.
	ok(t, "DELETE", s.base+"/api/permits/"+parent, "")
	fails(t, http.StatusNotFound, "GET", s.base+"/api/inspection-reports/"+str(report, "uuid"), "")
	if got := list(ok(t, "GET", s.base+"/api/inspection-reports/filter", ""), "inspection_reports"); len(got) != 0 {
		t.Fatalf("children left after the parent's delete: %v", got)
	}
}

func TestBadInputIs400NamingTheFieldOrParameter(t *testing.T) {
	s := startStack(t, serverEnv, gatewayEnv)
	b := s.base
	fails(t, 400, "POST", b+"/api/permits", `{"client": "A", "colour": "red"}`, "colour")
	fails(t, 400, "POST", b+"/api/permits", `{"fee_cents": "12x"}`, "fee_cents")
	fails(t, 400, "POST", b+"/api/permits", `{"status": "ACTIVE"}`, "status", "ACTIVE")
	fails(t, 400, "POST", b+"/api/permits", `{"issued": "yesterday"}`, "issued")
	fails(t, 400, "POST", b+"/api/permits", `{"client": `, "JSON")
	fails(t, 400, "POST", b+"/api/permits", `["not", "an", "object"]`)
	fails(t, 400, "POST", b+"/api/permits/batch", `{"permits": [{"client": "a"}, {"clientt": "b"}]}`, "clientt")
	fails(t, 400, "GET", b+"/api/permits/filter?fee_cents_min=abc", "", "fee_cents_min", "abc")
	fails(t, 400, "GET", b+"/api/permits/filter?page_size=ten", "", "page_size")
	fails(t, 400, "GET", b+"/api/permits/filter?status=ACTIVE", "", "status", "APPROVED")
	fails(t, 400, "GET", b+"/api/permits/filter?issued_min=2024-13-01", "", "issued_min")
	fails(t, 400, "GET", b+"/api/inspection-reports/filter?passed=yes", "", "passed")
	fails(t, 400, "GET", b+"/api/permits/filter?countyy=NY", "", "countyy", "county")
	fails(t, 400, "GET", b+"/api/permits/filter?county=NY&county=CA", "", "county", "2 times")
	fails(t, 400, "GET", b+"/api/permits/filter?page_token=garbage", "", "page_token")
	fails(t, 400, "GET", b+"/api/permits/filter?page_size=-1", "", "page_size")
	fails(t, 400, "GET", b+"/api/permits/01a2082d-50c9-75af-86ad-ba7a024b3f6d?client=A", "", "client")
	// Nothing of the refused requests was stored.
	if got := list(ok(t, "GET", b+"/api/permits", ""), "permits"); len(got) != 0 {
		t.Fatalf("refused requests stored records: %v", got)
	}
}

func TestBytesThatAreNotUTF8Are400AndStoreNothing(t *testing.T) {
	s := startStack(t, serverEnv, gatewayEnv)
	b := s.base
	fails(t, 400, "POST", b+"/api/permits", "{\"client\": \"Ac\xffme\", \"county\": \"NY\"}",
		"'client'", "UTF-8")
	// Half a surrogate pair, escaped: Go's decoder would make it U+FFFD.
	fails(t, 400, "POST", b+"/api/permits", `{"client": "Ac\ud800me"}`, "'client'", "UTF-8")
	fails(t, 400, "GET", b+"/api/permits/filter?client=%FF", "", "'client'", "UTF-8")
	fails(t, 400, "GET", b+"/api/permits/filter?page_token=%FE%FF", "", "'page_token'", "UTF-8")
	fails(t, 400, "GET", b+"/api/permits/%FF", "", "path", "UTF-8")
	if got := list(ok(t, "GET", b+"/api/permits", ""), "permits"); len(got) != 0 {
		t.Fatalf("stored: %v", got)
	}
	got := ok(t, "POST", b+"/api/permits", `{"client": "Zoë 🏠"}`)
	if str(got, "client") != "Zoë 🏠" {
		t.Fatalf("valid UTF-8 changed: %v", got)
	}
}

func TestBackendErrorsMapToHTTPStatuses(t *testing.T) {
	s := startStack(t, serverEnv, gatewayEnv)
	b := s.base
	fails(t, 404, "GET", b+"/api/permits/01a2082d-50c9-75af-86ad-ba7a024b3f6d", "", "not found")
	fails(t, 404, "GET", b+"/api/no-such-table", "", "no route")
	fails(t, 405, "PATCH", b+"/api/permits", `{}`, "PATCH")
	ok(t, "POST", b+"/api/permits", `{"permit_number": "U-1"}`)
	fails(t, 409, "POST", b+"/api/permits", `{"permit_number": "U-1"}`, "by_permit_number")
	fails(t, 412, "POST", b+"/api/permits/no-such-permit/inspection-reports", `{"inspector": "Kim"}`,
		"no-such-permit")
	fails(t, 404, "PUT", b+"/api/permits/update/no-such-permit", `{"client": "A"}`, "no-such-permit")
	if r := call(t, "GET", b+"/healthz", ""); r.status != 200 || str(r.json, "status") != "SERVING" {
		t.Fatalf("healthz: %d %s", r.status, r.raw)
	}

	// 504: the backend does not answer within the gateway's -timeout.
	impatient := start(t, "gateway", binary(t, gatewayEnv), "--listen=127.0.0.1:0",
		"--backend="+s.server.addr(), "--timeout=1ns")
	fails(t, 504, "GET", "http://"+impatient.addr()+"/api/permits", "")

	// 503: the backend is down; /healthz says so too.
	if err := s.server.stop(); err != nil {
		t.Fatalf("server stop: %v", err)
	}
	fails(t, 503, "GET", b+"/api/permits", "", s.server.addr())
	if r := call(t, "GET", b+"/api/permits", ""); r.header.Get("Retry-After") != "1" {
		t.Errorf("503 without Retry-After: %v", r.header)
	}
	fails(t, 503, "GET", b+"/healthz", "", s.server.addr())
}

func TestABodyOverTheLimitIs413AndStoresNothing(t *testing.T) {
	s := startStack(t, serverEnv, gatewayEnv, "--max_body_bytes=64")
	big := `{"client": "` + strings.Repeat("x", 100) + `"}`
	fails(t, 413, "POST", s.base+"/api/permits", big, "-max_body_bytes")
	if got := list(ok(t, "GET", s.base+"/api/permits", ""), "permits"); len(got) != 0 {
		t.Fatalf("stored: %v", got)
	}
	ok(t, "POST", s.base+"/api/permits", `{"client": "small"}`)
}

func TestCORSLetsAListedBrowserOriginCall(t *testing.T) {
	s := startStack(t, serverEnv, gatewayEnv, "--cors_origins=https://app.example.com")
	req, _ := http.NewRequest("OPTIONS", s.base+"/api/permits", nil)
	req.Header.Set("Origin", "https://app.example.com")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	req, _ = http.NewRequest("POST", s.base+"/api/permits", strings.NewReader(`{"client": "Web"}`))
	req.Header.Set("Origin", "https://app.example.com")
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		!strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "ETag") {
		t.Fatalf("POST: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestAGatewayStartedBeforeItsServerAnswersTheFirstRequest(t *testing.T) {
	port := freePort(t)
	backend := fmt.Sprintf("127.0.0.1:%d", port)
	gw := start(t, "gateway", binary(t, gatewayEnv), "--listen=127.0.0.1:0", "--backend="+backend,
		"--backend_wait=10s")
	// Sent before the server exists: waits for it instead of failing. The
	// request goes from its own goroutine; this one starts the server and
	// then reads the answer (t.Fatal belongs to the test's goroutine).
	type answer struct {
		status int
		body   string
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		resp, err := http.Post("http://"+gw.addr()+"/api/permits", "application/json",
			strings.NewReader(`{"client": "Early"}`))
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		answered <- answer{resp.StatusCode, string(body), err}
	}()
	time.Sleep(500 * time.Millisecond)
	start(t, "server", binary(t, serverEnv), "--listen="+backend,
		"--data_dir="+t.TempDir()+"/data", "--durability=nosync")
	got := <-answered
	var stored map[string]interface{}
	if got.err != nil || got.status != 200 || json.Unmarshal([]byte(got.body), &stored) != nil ||
		str(stored, "client") != "Early" {
		t.Fatalf("first request: %d %q %v", got.status, got.body, got.err)
	}
}

func TestGatewayFlagsAreCheckedAndStopIsClean(t *testing.T) {
	for _, c := range []struct{ arg, mention string }{
		{"--listen=nowhere", "-listen"}, {"--timeout=-1s", "-timeout"},
		{"--backend=:", "-backend"}, {"--max_body_bytes=0", "-max_body_bytes"}, {"extra", "extra"},
	} {
		out, err := runBinary(t, binary(t, gatewayEnv), c.arg)
		if err == nil {
			t.Errorf("%s accepted:\n%s", c.arg, out)
		}
		if !contains(out, c.mention) {
			t.Errorf("%s: the error does not name %s:\n%s", c.arg, c.mention, out)
		}
	}
	s := startStack(t, serverEnv, gatewayEnv)
	if err := s.gateway.stop(); err != nil {
		t.Fatalf("SIGTERM: gateway exit %v\n%s", err, s.gateway.output())
	}
}
