package gateway_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

var client = &http.Client{Timeout: 30 * time.Second}

// reply is an HTTP response with its body read and, when JSON, decoded.
type reply struct {
	status int
	header http.Header
	raw    string
	json   map[string]interface{}
}

func call(t *testing.T, method, url, body string) reply {
	t.Helper()
	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, reader)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &r.json); err != nil {
			t.Fatalf("%s %s: the body is not a JSON object: %v\n%s", method, url, err, raw)
		}
	}
	return r
}

// ok calls and requires 200.
func ok(t *testing.T, method, url, body string) map[string]interface{} {
	t.Helper()
	r := call(t, method, url, body)
	if r.status != http.StatusOK {
		t.Fatalf("%s %s: got %d, want 200\n%s", method, url, r.status, r.raw)
	}
	return r.json
}

// fails calls and requires the error status and a JSON error body
// {code, status, message} whose message contains each of `mentions`.
func fails(t *testing.T, want int, method, url, body string, mentions ...string) {
	t.Helper()
	r := call(t, method, url, body)
	if r.status != want {
		t.Fatalf("%s %s: got %d, want %d\n%s", method, url, r.status, want, r.raw)
	}
	if r.json == nil {
		t.Fatalf("%s %s: error body is not JSON: %q", method, url, r.raw)
	}
	if code, _ := r.json["code"].(float64); int(code) != want {
		t.Errorf("%s %s: body code %v, want %d", method, url, r.json["code"], want)
	}
	msg, _ := r.json["message"].(string)
	for _, m := range mentions {
		if !strings.Contains(msg, m) {
			t.Errorf("%s %s: message %q does not mention %q", method, url, msg, m)
		}
	}
}

func str(m map[string]interface{}, key string) string {
	s, _ := m[key].(string)
	return s
}

func list(m map[string]interface{}, key string) []map[string]interface{} {
	items, _ := m[key].([]interface{})
	out := make([]map[string]interface{}, 0, len(items))
	for _, item := range items {
		out = append(out, item.(map[string]interface{}))
	}
	return out
}

func jsonBody(t *testing.T, v interface{}) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
