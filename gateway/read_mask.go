package gateway

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
)

// read_mask (AIP-157) over REST: ?read_mask=uuid,client on Get, Filter and
// Paginate. grpc-gateway parses the comma-separated value into the request's
// google.protobuf.FieldMask and the server trims the records; but the
// gateway's JSON names every field (zero values included), so the records'
// other keys are taken out of the answer here.

// readMaskParam is the name of the read_mask query parameter (the layout's
// field; protoc-gen-swagger documents the FieldMask as read_mask.paths).
const readMaskParam = "read_mask"

const readMaskDescription = "The fields to return (AIP-157), comma-separated, " +
	"e.g. uuid,client; dotted paths reach into nested messages. Empty: every field. " +
	"400 naming read_mask for a path the record lacks."

// documentReadMask replaces the read_mask.paths parameters protoc-gen-swagger
// derives from a FieldMask with the one parameter clients send: read_mask
// (for Watch: filter.read_mask).
func documentReadMask(rawParams interface{}) interface{} {
	params, _ := rawParams.([]interface{})
	for i, raw := range params {
		p, _ := raw.(map[string]interface{})
		name, _ := p["name"].(string)
		if p == nil || p["in"] != "query" || !strings.HasSuffix(name, readMaskParam+".paths") {
			continue
		}
		base := strings.TrimSuffix(name, ".paths")
		if base != readMaskParam && !strings.HasSuffix(base, "."+readMaskParam) {
			continue
		}
		params[i] = map[string]interface{}{
			"name": base, "in": "query", "type": "string", "required": false,
			"description": readMaskDescription,
		}
	}
	return rawParams
}

// pageRecords is, for an operation answering a page of records, the key of
// its records ("permits"): the one array of its 200 answer's definition,
// which has a next_page_token. "" when the answer is not a page.
func pageRecords(op, defs map[string]interface{}) string {
	responses, _ := op["responses"].(map[string]interface{})
	ok, _ := responses["200"].(map[string]interface{})
	schema, _ := ok["schema"].(map[string]interface{})
	ref, _ := schema["$ref"].(string)
	def, _ := defs[strings.TrimPrefix(ref, "#/definitions/")].(map[string]interface{})
	props, _ := def["properties"].(map[string]interface{})
	if _, has := props["next_page_token"]; !has {
		return ""
	}
	records := ""
	for name, raw := range props {
		if p, _ := raw.(map[string]interface{}); p["type"] == "array" {
			if records != "" {
				return ""
			}
			records = name
		}
	}
	return records
}

// maskTree is a read_mask as a tree of JSON keys; a nil subtree keeps the
// whole value.
type maskTree map[string]maskTree

func newMaskTree(paths string) maskTree {
	tree := maskTree{}
	for _, path := range strings.Split(paths, ",") {
		if path = strings.TrimSpace(path); path == "" {
			continue
		}
		node := tree
		parts := strings.Split(path, ".")
		for i, part := range parts {
			sub, seen := node[part]
			if seen && sub == nil {
				break // the whole field is kept already
			}
			if i == len(parts)-1 {
				node[part] = nil
				break
			}
			if sub == nil {
				sub = maskTree{}
				node[part] = sub
			}
			node = sub
		}
	}
	return tree
}

// rewriteObject rebuilds the JSON object raw key by key, in order: edit
// returns each key's new value, or false to leave the key out. raw is
// returned as is when it is not an object.
func rewriteObject(raw []byte, edit func(key string, value json.RawMessage) (json.RawMessage, bool)) []byte {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return raw
	}
	var out bytes.Buffer
	out.WriteByte('{')
	for dec.More() {
		tok, err := dec.Token()
		key, _ := tok.(string)
		var value json.RawMessage
		if err != nil || dec.Decode(&value) != nil {
			return raw
		}
		if value, ok := edit(key, value); ok {
			if out.Len() > 1 {
				out.WriteByte(',')
			}
			name, _ := json.Marshal(key)
			out.Write(name)
			out.WriteByte(':')
			out.Write(value)
		}
	}
	out.WriteByte('}')
	return out.Bytes()
}

// trimValue keeps, of a record (or of each record of an array), the keys
// the mask names.
func (m maskTree) trimValue(raw json.RawMessage) json.RawMessage {
	if trimmed := bytes.TrimSpace(raw); len(trimmed) > 0 && trimmed[0] == '[' {
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return raw
		}
		for i := range items {
			items[i] = m.trimValue(items[i])
		}
		out, _ := json.Marshal(items)
		return out
	}
	return rewriteObject(raw, func(key string, value json.RawMessage) (json.RawMessage, bool) {
		sub, keep := m[key]
		if !keep {
			return nil, false
		}
		if sub == nil {
			return value, true
		}
		return sub.trimValue(value), true
	})
}

// trimToReadMask leaves in a 200 answer to a GET with ?read_mask= only the
// masked keys of its record, or of each record of its page.
func (a *OpenAPI) trimToReadMask(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths := r.URL.Query().Get(readMaskParam)
		route := a.routeFor(r.Method, r.URL.Path)
		if r.Method != http.MethodGet || paths == "" || route == nil {
			next.ServeHTTP(w, r)
			return
		}
		rec := &bufferedAnswer{header: w.Header(), status: http.StatusOK}
		next.ServeHTTP(rec, r)
		body := rec.body.Bytes()
		if rec.status == http.StatusOK {
			mask := newMaskTree(paths)
			if route.pageRecords == "" {
				body = mask.trimValue(body)
			} else {
				body = rewriteObject(body, func(key string, value json.RawMessage) (json.RawMessage, bool) {
					if key == route.pageRecords {
						return mask.trimValue(value), true
					}
					return value, true
				})
			}
			w.Header().Del("Content-Length")
		}
		w.WriteHeader(rec.status)
		_, _ = w.Write(body)
	})
}

// bufferedAnswer holds an answer until it is trimmed.
type bufferedAnswer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedAnswer) Header() http.Header         { return b.header }
func (b *bufferedAnswer) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferedAnswer) WriteHeader(status int)      { b.status = status }
