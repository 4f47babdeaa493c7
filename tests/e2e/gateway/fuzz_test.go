// Fuzz targets for REST bodies and query strings, through the real gateway
// into the real permits server (one stack per fuzzing process).
//
// Go's coverage instrumentation reaches only this test binary, not the
// gateway or server processes: this is mutation fuzzing over the seeds (f.Add
// below), not coverage-guided fuzzing of the gateway. Plain `go test` (and
// e2e.gateway_test) runs the seeds as ordinary tests. A fuzzing run, with
// LMDBAPI_PERMITS_SERVER and LMDBAPI_PERMITS_GATEWAY set, from the compiled
// binary (a failing input is written to ./testdata/fuzz/<target>/ and named
// in the output; -test.run=<target>/<file name> replays it):
//
//	gateway_test -test.run='^$' -test.fuzz='^FuzzRESTBody$' -test.fuzztime=60s \
//	    -test.fuzzcachedir=DIR -test.parallel=1
//
// or, in this directory, GO111MODULE=off go test -run='^$' -fuzz='^FuzzRESTBody$'
// -fuzztime=60s -parallel=1 . (one worker: one server and gateway).
//
// The oracle, for every input: no 5xx but 503/504; the server and gateway
// still running; a JSON answer that parses. For a write answered 200: every
// record of the answer is what a GET returns, and every field the sent JSON
// set is stored with the sent value (strings byte for byte, int64s and enums
// as exact numbers, times as instants), every field it did not set holds the
// zero value (or, for PATCH, its value before) — nothing is stored that the
// request did not say. Server-owned fields (revision, create and update
// times, a generated uuid, a key taken from the path) are not compared. A
// 200 for a body that is not UTF-8 fails, and so does a stored U+FFFD the
// body did not send (Go's decoding of the sent body would hide it).
package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

type fieldKind int

const (
	kString fieldKind = iota
	kInt64
	kBool
	kEnum
	kTime
)

// table is what the oracle knows of a table's schema (proto field names).
type table struct {
	path, record, plural string // "/api/permits", "permit", "permits"
	fields               map[string]fieldKind
}

var (
	permitsTable = table{"/api/permits", "permit", "permits", map[string]fieldKind{
		"uuid": kString, "permit_number": kString, "client": kString, "county": kString,
		"county_status": kString, "status": kEnum, "issued": kTime, "expires": kTime,
		"address": kString, "fee_cents": kInt64}}
	reportsTable = table{"/api/inspection-reports", "inspection_report", "inspection_reports",
		map[string]fieldKind{"uuid": kString, "permit_uuid": kString, "inspector": kString,
			"passed": kBool, "inspected": kTime, "findings": kString}}
	statusesTable = table{"/api/processing-statuses", "processing_status", "processing_statuses",
		map[string]fieldKind{"uuid": kString, "permit_uuid": kString, "stage": kString,
			"note": kString, "updated": kTime}}
	tablesByRecord = map[string]table{"permit": permitsTable,
		"inspection_report": reportsTable, "processing_status": statusesTable}
	permitStatuses = map[string]int64{"PERMIT_STATUS_UNSPECIFIED": 0, "PENDING": 1,
		"APPROVED": 2, "REJECTED": 3, "EXPIRED": 4}
	serverOwned = map[string]bool{"revision": true, "create_time": true, "update_time": true}
	jsonNumber  = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)
)

type writeMode int

const (
	modeInsert writeMode = iota // unsent fields are zero; uuid may be generated
	modeUpdate                  // unsent fields are zero; uuid is the path's
	modePatch                   // unsent fields keep their values; uuid is the path's
	modeBatch                   // {"<plural>": [records]}, each as an insert
	modeCommit                  // Transactions: per write, as its kind says
	modeStatus                  // only the status oracle (import: no records answered)
)

// bodyRoute is a route that takes a JSON body. A path with {fresh} gets a
// record inserted for this input alone; {parent} is a permit kept for the
// process. In the body, @parent@ and @fresh@ become those keys.
type bodyRoute struct {
	method, path string
	tbl          table
	mode         writeMode
	pathField    string // the field the path's key sets ("" for none)
}

var bodyRoutes = []bodyRoute{
	{"POST", "/api/permits", permitsTable, modeInsert, ""},
	{"POST", "/api/permits/insert-record", permitsTable, modeInsert, ""},
	{"PUT", "/api/permits/{fresh}", permitsTable, modeUpdate, "uuid"},
	{"PUT", "/api/permits/update/{fresh}", permitsTable, modeUpdate, "uuid"},
	{"PATCH", "/api/permits/{fresh}", permitsTable, modePatch, "uuid"},
	{"POST", "/api/permits/batch", permitsTable, modeBatch, ""},
	{"POST", "/api/permits/batch-insert", permitsTable, modeBatch, ""},
	{"POST", "/api/permits/{parent}/inspection-reports", reportsTable, modeInsert, "permit_uuid"},
	{"POST", "/api/inspection-reports/insert-record", reportsTable, modeInsert, ""},
	{"PATCH", "/api/inspection-reports/{fresh}", reportsTable, modePatch, "uuid"},
	{"POST", "/api/permits/{parent}/processing-statuses", statusesTable, modeInsert, "permit_uuid"},
	{"PUT", "/api/processing-statuses/{fresh}", statusesTable, modeUpdate, "uuid"},
	{"POST", "/api:commit", permitsTable, modeCommit, ""},
	{"POST", "/api/permits/import", permitsTable, modeStatus, ""},
}

// validBodies seed each route with bodies it stores (see seeds), from
// rest_test.go's examples; @n@ becomes a number unique to the input.
var validBodies = map[string][]string{
	"permit": {
		`{"permit_number": "P-@n@", "client": "Acme", "county": "Kings", "status": "APPROVED",
		  "issued": "2024-03-01T10:00:00Z", "fee_cents": "12500"}`,
		`{ "client": "Acme", "county": "NY", "county_status": "Active" }`,
		`{"client": "Zoë 🏠", "fee_cents": 7, "status": 3, "expires": "2024-03-01T10:00:00.5+02:00"}`,
		`{"permitNumber": "Q-@n@", "countyStatus": "x", "feeCents": "-9223372036854775808"}`,
		`{"client": "\ud83c\udfe0 \u00e9\"\\", "address": "\uFFFD"}`,
		`{"uuid": "", "client": null, "issued": null, "status": null}`,
		`{"uuid": "fuzz-@n@", "address": "1 Main St"}`,
		`{"uuid": ":@n@"}`, `{"uuid": "a/b:@n@\"c*\\"}`, // not addressable by path
	},
	"inspection_report": {
		`{"permit_uuid": "@parent@", "inspector": "Kim", "passed": true,
		  "inspected": "2024-05-01T09:00:00Z", "findings": "ok"}`,
		`{"permitUuid": "@parent@", "inspector": "Lee", "passed": false}`,
	},
	"processing_status": {
		`{"permit_uuid": "@parent@", "stage": "intake", "note": "n", "updated": "2024-01-01T00:00:00Z"}`,
	},
	"batch": {
		`{"permits": [{"client": "A", "permit_number": "N-@n@"}, {"client": "B", "fee_cents": "1"}]}`,
		`{"permits": []}`,
	},
	"commit": {
		`{"writes": [{"insert_permit": {"permit": {"client": "C", "fee_cents": "5",
		  "issued": "2024-01-01T00:00:00Z"}}},
		  {"insert_processing_status": {"processing_status": {"permit_uuid": "@parent@", "stage": "s"}}}]}`,
		`{"writes": [{"insert_permit": {"permit": {"client": "C", "fee_cents": "5"}}},
		  {"insert_inspection_report": {"inspection_report": {"inspector": "Lee"}},
		   "key_refs": [{"field": "permit_uuid", "write": 0}]},
		  {"update_permit": {"permit": {"uuid": "@parent@", "client": "fuzz parent"}}}]}`,
		`{"preconditions": [{"collection": "permits", "key": "@parent@", "exists": true}],
		  "writes": [{"insertPermit": {"permit": {"permitNumber": "C-@n@"}}}]}`,
	},
	"import": {`{"records": [{"client": "imported"}]}`, `{"records": [], "skip_bad": true}`},
}

// nearValidBodies seed every route with bodies it must refuse.
var nearValidBodies = []string{
	"{\"client\": \"Ac\xffme\"}", `{"client": "\ud800"}`, `{"client": "A", "colour": "red"}`,
	`{"fee_cents": "12x"}`, `{"fee_cents": "0 "}`, `{"fee_cents": "null"}`, `{"feeCents": "0!"}`, `{"fee_cents": "7e"}`, `{"status": "ACTIVE"}`, `{"issued": "2024-13-01T00:00:00Z"}`,
	`{"client": `, `[1]`, `null`, ``,
}

func (r bodyRoute) seeds() string {
	return map[writeMode]string{modeBatch: "batch", modeCommit: "commit", modeStatus: "import"}[r.mode] +
		map[bool]string{true: r.tbl.record}[r.mode < modeBatch]
}

// queryRoutes take the fuzzed string as their raw query, or in place of
// {key} as a path segment.
var queryRoutes = []string{
	"/api/permits/filter?{q}", "/api/permits/get-record?{q}", "/api/permits?{q}",
	"/api/permits/paginate?{q}", "/api/permits/count?{q}", "/api/permits/export?{q}",
	"/api/inspection-reports/filter?{q}", "/api/processing-statuses/count?{q}",
	"/api/permits/{parent}/inspection-reports?{q}", "/api/permits/{parent}?{q}",
	"/api/permits/{q}", "/api/inspection-reports/{q}?read_mask=inspector",
	"/api/permits/{q}/processing-statuses",
}

// fuzzStack is the process's server and gateway, with a parent permit.
type fuzzStack struct {
	*stack
	parent string
}

func startFuzzStack(f *testing.F) *fuzzStack {
	s := &fuzzStack{stack: startStack(f, serverEnv, gatewayEnv)}
	r := send(f, "POST", s.base+"/api/permits", []byte(`{"client": "fuzz parent"}`))
	if r.status != 200 {
		f.Fatalf("inserting the parent: %d %s", r.status, r.raw)
	}
	s.parent = str(r.json, "uuid")
	return s
}

// send is call for any bytes: a body as is, a URL whose RawQuery and path
// reach the gateway unparsed. Only a transport error fails the test.
func send(t testing.TB, method, rawURL string, body []byte) reply {
	t.Helper()
	req, err := http.NewRequest(method, "http://placeholder/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	base := strings.TrimPrefix(rawURL, "http://")
	slash := strings.IndexByte(base, '/')
	req.URL.Host, req.Host = base[:slash], base[:slash]
	path, query, _ := strings.Cut(base[slash:], "?")
	req.URL.Opaque, req.URL.RawQuery = wireSafe(path), wireSafe(query)
	if strings.Contains(base, "?") && req.URL.RawQuery == "" {
		req.URL.ForceQuery = true
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %q: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		// An export streams one JSON object per chunk: every one must parse.
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		for err := dec.Decode(&r.json); err != io.EOF; err = dec.Decode(new(interface{})) {
			if err != nil {
				r.json = map[string]interface{}{"!notjson": string(raw)}
				break
			}
		}
	}
	return r
}

// wireSafe escapes only what would end the request line (space, controls)
// or be cut as a fragment: every other byte, invalid UTF-8 and stray %
// included, reaches the gateway as fuzzed.
func wireSafe(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f || c == '#' {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// checkAlive fails when the server or the gateway has exited.
func (s *fuzzStack) checkAlive(t *testing.T) {
	for _, p := range []*process{s.server, s.gateway} {
		select {
		case err := <-p.done:
			p.done <- err
			t.Fatalf("the %s exited (%v):\n%s", p.name, err, tail(p.output()))
		default:
		}
	}
}

func tail(s string) string {
	if len(s) > 3000 {
		return s[len(s)-3000:]
	}
	return s
}

// checkStatus is the oracle every input meets.
func (s *fuzzStack) checkStatus(t *testing.T, what string, r reply) {
	t.Helper()
	s.checkAlive(t)
	if r.status >= 500 && r.status != 503 && r.status != 504 {
		t.Fatalf("%s: status %d\n%s\ngateway log:\n%s", what, r.status, r.raw, tail(s.gateway.output()))
	}
	if r.json != nil && r.json["!notjson"] != nil {
		t.Fatalf("%s: %d with a body that is not JSON: %q", what, r.status, r.raw)
	}
}

func FuzzRESTBody(f *testing.F) {
	s := startFuzzStack(f)
	for r, route := range bodyRoutes {
		for _, b := range append(validBodies[route.seeds()], nearValidBodies...) {
			f.Add(uint8(r), []byte(b))
		}
	}
	n := 0
	f.Fuzz(func(t *testing.T, selector uint8, body []byte) {
		route := bodyRoutes[int(selector)%len(bodyRoutes)]
		n++
		path, fresh, before := route.path, "", map[string]interface{}(nil)
		if strings.Contains(path, "{fresh}") {
			fresh, before = s.freshRecord(t, route.tbl)
			path = strings.Replace(path, "{fresh}", fresh, 1)
		}
		path = strings.Replace(path, "{parent}", s.parent, 1)
		// @n@ keeps unique permit numbers of the seeds unique across inputs.
		body = bytes.ReplaceAll(body, []byte("@n@"), []byte(fmt.Sprintf("%d-%d", time.Now().UnixNano(), n)))
		body = bytes.ReplaceAll(body, []byte("@parent@"), []byte(s.parent))
		body = bytes.ReplaceAll(body, []byte("@fresh@"), []byte(fresh))
		what := fmt.Sprintf("%s %s %q", route.method, path, body)
		r := send(t, route.method, s.base+path, body)
		s.checkStatus(t, what, r)
		if r.status != 200 || route.mode == modeStatus {
			return
		}
		if !utf8.Valid(body) {
			t.Fatalf("%s: 200 for a body that is not UTF-8: %s", what, r.raw)
		}
		var sent interface{}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&sent); err != nil {
			t.Fatalf("%s: 200 for a body that is not JSON (%v): %s", what, err, r.raw)
		}
		o := oracle{t: t, s: s, what: what, body: body}
		switch route.mode {
		case modeBatch:
			o.checkBatch(route.tbl, sent, r.json)
		case modeCommit:
			o.checkCommit(sent, r.json)
		default:
			keyed := map[string]string{}
			if route.pathField != "" {
				keyed[route.pathField] = s.parent
				if fresh != "" {
					keyed[route.pathField] = fresh
				}
			}
			o.checkRecord(route.tbl, route.mode, asObject(sent), r.json, before, keyed)
		}
	})
}

// freshRecord inserts a record for one input (of a secondary table: under the
// parent) and returns its key and stored JSON.
func (s *fuzzStack) freshRecord(t *testing.T, tbl table) (string, map[string]interface{}) {
	body := `{"client": "fresh", "county": "C", "fee_cents": "3", "issued": "2024-01-02T03:04:05Z"}`
	if tbl.record != "permit" {
		body = `{"permit_uuid": "` + s.parent + `", "` + map[string]string{
			"inspection_report": "inspector", "processing_status": "stage"}[tbl.record] + `": "fresh"}`
	}
	r := send(t, "POST", s.base+tbl.path, []byte(body))
	if r.status != 200 {
		t.Fatalf("inserting a fresh %s: %d %s", tbl.record, r.status, r.raw)
	}
	return str(r.json, "uuid"), r.json
}

type oracle struct {
	t    *testing.T
	s    *fuzzStack
	what string
	body []byte
}

func asObject(v interface{}) map[string]interface{} {
	m, _ := v.(map[string]interface{})
	return m
}

// snake is a lowerCamelCase JSON name's proto name (protojson takes both).
func snake(name string) string {
	var b strings.Builder
	for _, c := range name {
		if c >= 'A' && c <= 'Z' {
			b.WriteByte('_')
			c += 'a' - 'A'
		}
		b.WriteRune(c)
	}
	return b.String()
}

// read GETs the record keyed `uuid`: by its path, or, for a key holding a
// "/" or a ":" (grpc-gateway v1 splits the path at "/", escaped or not, and
// takes a last segment's ":" for a custom verb), by a filter on the key
// whose one result stands for the record.
func (o oracle) read(tbl table, uuid string) reply {
	if !strings.ContainsAny(uuid, "/:") {
		return send(o.t, "GET", o.s.base+tbl.path+"/"+url.PathEscape(uuid), nil)
	}
	literal := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `*`, `\*`).Replace(uuid)
	r := send(o.t, "GET", o.s.base+tbl.path+"/filter?filter="+
		url.QueryEscape(`uuid = "`+literal+`"`), nil)
	if r.status == 200 {
		records, _ := r.json[tbl.plural].([]interface{})
		if len(records) != 1 {
			r.status = 404
			return r
		}
		r.json, _ = records[0].(map[string]interface{})
	}
	return r
}

// checkRecord compares the stored record (the answer, then a GET of it) with
// what was sent: see the file comment. keyed: fields the path set.
func (o oracle) checkRecord(tbl table, mode writeMode, sent, got, before map[string]interface{},
	keyed map[string]string) {
	t := o.t
	t.Helper()
	if got == nil {
		t.Fatalf("%s: 200 without a record: %v", o.what, got)
	}
	uuid, _ := got["uuid"].(string)
	stored := o.read(tbl, uuid)
	if stored.status != 200 || !sameJSON(stored.json, got) {
		t.Fatalf("%s: answered %v\nbut GET %s is %d %s", o.what, got, uuid, stored.status, stored.raw)
	}
	said := map[string]interface{}{}
	for k, v := range sent {
		name := k
		if _, known := tbl.fields[name]; !known {
			name = snake(k)
		}
		if _, known := tbl.fields[name]; !known && !serverOwned[name] {
			t.Fatalf("%s: 200 though the body sets %q, not a field of %s", o.what, k, tbl.record)
		}
		said[name] = v
	}
	for name, kind := range tbl.fields {
		want, wasSent := said[name]
		switch {
		case keyed[name] != "":
			want, wasSent = keyed[name], true
		case name == "uuid" && (!wasSent || want == nil || want == ""):
			if uuid == "" {
				t.Fatalf("%s: stored without a uuid: %v", o.what, got)
			}
			continue
		case !wasSent && mode == modePatch:
			if !sameJSON(got[name], before[name]) {
				t.Fatalf("%s: PATCH changed %s, not in the body: %v -> %v", o.what, name, before[name], got[name])
			}
			continue
		}
		if why := mismatch(kind, want, got[name]); why != "" {
			t.Fatalf("%s: field %s: sent %#v, stored %#v: %s", o.what, name, want, got[name], why)
		}
	}
	o.checkNoInventedReplacement(got)
}

// checkNoInventedReplacement: a stored U+FFFD must have been sent as one
// (Go's decoder writes U+FFFD for invalid UTF-8 and lone surrogate escapes,
// so comparing decoded strings alone would not see it).
func (o oracle) checkNoInventedReplacement(got map[string]interface{}) {
	for name, v := range got {
		if s, _ := v.(string); strings.ContainsRune(s, utf8.RuneError) &&
			!bytes.Contains(o.body, []byte("\uFFFD")) &&
			!bytes.Contains(bytes.ToLower(o.body), []byte(`\ufffd`)) {
			o.t.Fatalf("%s: field %s stored U+FFFD, which the body did not send: %q", o.what, name, s)
		}
	}
}

func (o oracle) checkBatch(tbl table, sent interface{}, got map[string]interface{}) {
	records, _ := asObject(sent)[tbl.plural].([]interface{})
	stored, _ := got[tbl.plural].([]interface{})
	if len(records) != len(stored) {
		o.t.Fatalf("%s: sent %d records, %d stored: %v", o.what, len(records), len(stored), got)
	}
	for i := range records {
		o.checkRecord(tbl, modeInsert, asObject(records[i]), asObject(stored[i]), nil, nil)
	}
}

// checkCommit checks each insert and update of a commit against its result,
// when no later write of the commit touched the same key (its stored record
// is then the later one's) and no key_refs rewrote its fields.
func (o oracle) checkCommit(sent interface{}, got map[string]interface{}) {
	writes, _ := asObject(sent)["writes"].([]interface{})
	results, _ := got["results"].([]interface{})
	if len(writes) != len(results) {
		o.t.Fatalf("%s: %d writes, %d results: %v", o.what, len(writes), len(results), got)
	}
	last := map[string]int{}
	for i, res := range results {
		last[str(asObject(res), "key")] = i
	}
	for i, w := range writes {
		write, result := asObject(w), asObject(results[i])
		if last[str(result, "key")] != i || write["key_refs"] != nil || write["keyRefs"] != nil {
			continue
		}
		for kind, req := range write {
			op, record, found := strings.Cut(snake(kind), "_")
			tbl, known := tablesByRecord[record]
			if !found || !known || (op != "insert" && op != "update") {
				continue
			}
			rec := asObject(asObject(req)[record])
			if rec == nil {
				rec = asObject(asObject(req)[jsonCamel(record)])
			}
			o.checkRecord(tbl, modeInsert, rec, asObject(result[record]), nil, nil)
		}
	}
}

func jsonCamel(name string) string {
	parts := strings.Split(name, "_")
	for i := 1; i < len(parts); i++ {
		parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
	}
	return strings.Join(parts, "")
}

func sameJSON(a, b interface{}) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// mismatch says why a stored value is not the sent one ("" when it is).
// JSON null sends the zero value. int64s (JSON strings or numbers) compare as
// exact rationals of the sent decimal text; enums by number; times as
// instants (the server writes UTC).
func mismatch(kind fieldKind, sent, stored interface{}) string {
	if sent == nil {
		sent = map[fieldKind]interface{}{kString: "", kInt64: "0", kBool: false,
			kEnum: "PERMIT_STATUS_UNSPECIFIED", kTime: nil}[kind]
	}
	switch kind {
	case kString:
		if s, ok := sent.(string); !ok || s != stored {
			return "strings differ"
		}
	case kBool:
		if sent != stored {
			return "booleans differ"
		}
	case kInt64:
		a, b := exactNumber(sent), exactNumber(stored)
		if a == nil || b == nil || a.Cmp(b) != 0 {
			return "numbers differ"
		}
	case kEnum:
		a, b := enumNumber(sent), enumNumber(stored)
		if a == nil || b == nil || a.Cmp(b) != 0 {
			return "enum values differ"
		}
	case kTime:
		if sent == nil || stored == nil {
			if sent != stored {
				return "one is unset"
			}
			return ""
		}
		a, errA := time.Parse(time.RFC3339Nano, fmt.Sprint(sent))
		b, errB := time.Parse(time.RFC3339Nano, fmt.Sprint(stored))
		if errA != nil || errB != nil || !a.Equal(b) {
			return "instants differ"
		}
	}
	return ""
}

// exactNumber is the value of a JSON number, or of a string holding one.
func exactNumber(v interface{}) *big.Rat {
	text := fmt.Sprint(v)
	if !jsonNumber.MatchString(text) {
		return nil
	}
	r, ok := new(big.Rat).SetString(text)
	if !ok {
		return nil
	}
	return r
}

func enumNumber(v interface{}) *big.Rat {
	if name, ok := v.(string); ok {
		if n, known := permitStatuses[name]; known {
			return big.NewRat(n, 1)
		}
	}
	if _, ok := v.(json.Number); ok {
		return exactNumber(v)
	}
	return nil
}

func FuzzRESTQuery(f *testing.F) {
	s := startFuzzStack(f)
	for i, q := range []string{
		"", "client=Acme&county=NY&status=APPROVED", "issued_min=2024-02-01T00:00:00Z&issued_max=2024-03-31T00:00:00Z",
		"fee_cents_min=150&fee_cents_max=350", "page_size=2&page_token=abc", "filter=client%20%3D%20%22A%2A%22",
		`filter=client = "Ac*" AND NOT (fee_cents > 3 OR status = APPROVED)`, "order_by=issued desc, client",
		"read_mask=client,uuid", "passed=true", "client=%FF", "client=\xff\xfe", "page_token=%FE%FF",
		"county=NY&county=CA", "countyy=NY", "page_size=-1", "fee_cents=99999999999999999999",
		"%zz=1&a=%", "01a2082d-50c9-75af-86ad-ba7a024b3f6d", "..", "%2F..%2Fx", "\xff", "a;b=c",
	} {
		for r := range queryRoutes {
			if i%4 == r%4 || i < 2 {
				f.Add(uint8(r), q)
			}
		}
	}
	f.Fuzz(func(t *testing.T, selector uint8, q string) {
		route := strings.Replace(queryRoutes[int(selector)%len(queryRoutes)], "{parent}", s.parent, 1)
		route = strings.Replace(route, "{q}", q, 1)
		r := send(t, "GET", s.base+route, nil)
		s.checkStatus(t, fmt.Sprintf("GET %q", route), r)
	})
}
