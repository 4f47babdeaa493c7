package gateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestJSONPathAtNamesTheStringHoldingAnOffset(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{"{\"client\": \"A\xffcme\"}", "client"},
		{"{\"permit\": {\"county\": \"NY\", \"client\": \"\xff\"}}", "permit.client"},
		{"{\"writes\": [{\"a\": 1}, {\"key_refs\": [{\"field\": \"x\"}, {\"field\": \"\xff\"}]}]}",
			"writes[1].key_refs[1].field"},
		{"[\"ok\", \"\xff\"]", "[1]"},
		{"{\"ok\": true, \"k\xffey\": 1}", "k\ufffdey"},
	} {
		bad := firstInvalidUTF8([]byte(c.doc))
		if got := jsonPathAt([]byte(c.doc), bad); got != c.want {
			t.Errorf("%q: got %q, want %q", c.doc, got, c.want)
		}
	}
	if firstInvalidUTF8([]byte(`{"client": "Zoë 🏠"}`)) != -1 {
		t.Error("valid UTF-8 reported invalid")
	}
}

func TestBytesThatAreNotUTF8Are400NamingWhere(t *testing.T) {
	reached := false
	next := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { reached = true })
	h := checkURLUTF8(checkBodyUTF8(next))
	for _, c := range []struct{ method, target, body, mention string }{
		{"GET", "/api/permits/filter?client=%FF", "", "'client'"},
		{"GET", "/api/permits/%FF", "", "path"},
		{"POST", "/api/permits", "{\"client\": \"\xfe\"}", "'client'"},
		{"POST", "/api/permits", "\xff", "byte 0"},
	} {
		reached = false
		var body *strings.Reader
		if c.body != "" {
			body = strings.NewReader(c.body)
		}
		var r *http.Request
		if body != nil {
			r = httptest.NewRequest(c.method, c.target, body)
		} else {
			r = httptest.NewRequest(c.method, c.target, nil)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), c.mention) || reached {
			t.Errorf("%s %s: %d %s (reached: %v)", c.method, c.target, rec.Code, rec.Body.String(), reached)
		}
	}
	reached = false
	h.ServeHTTP(httptest.NewRecorder(),
		httptest.NewRequest("POST", "/api/permits?x=%C3%A9", strings.NewReader(`{"client": "Zoë"}`)))
	if !reached {
		t.Error("valid UTF-8 did not reach the handler")
	}
}

func TestHalfASurrogatePairIsRefusedAWholeOneIsNot(t *testing.T) {
	for _, c := range []struct {
		doc  string
		want int
	}{
		{`{"client": "\ud800"}`, 12}, {`{"client": "a\uDC00"}`, 13},
		{`{"client": "\ud800\u0041"}`, 12}, {`{"client": "\ud83c\ud83c"}`, 12},
		{`{"client": "\ud83c\udfe0 \u00e9"}`, -1}, {`{"client": "\\ud800"}`, -1},
		{`{"client": "\\\ud800"}`, 14}, {`{"client": "\ud8"}`, -1},
	} {
		if got := firstLoneSurrogate([]byte(c.doc)); got != c.want {
			t.Errorf("%s: got %d, want %d", c.doc, got, c.want)
		}
	}
	reached := false
	h := checkBodyUTF8(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/api/permits", strings.NewReader(`{"client": "\ud800"}`)))
	if reached || w.Code != 400 || !strings.Contains(w.Body.String(), "'client'") {
		t.Fatalf("a lone surrogate: reached %v, %d %s", reached, w.Code, w.Body)
	}
}
