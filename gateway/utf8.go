package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Bytes that are not UTF-8 never reach the server. In a path or a query
// parameter, grpc-gateway would fail to marshal them (a 500); inside a JSON
// string of a body, Go's decoder would replace them with U+FFFD and the
// server would store a value the client did not send. Both are refused here,
// 400 INVALID_ARGUMENT naming the parameter or the body's field. So is an
// escape of half a surrogate pair (\ud800), which Go also decodes as U+FFFD.

// checkURLUTF8 refuses a path or query string that decodes to invalid UTF-8.
func checkURLUTF8(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !utf8.ValidString(r.URL.Path) {
			badRequest(w, "the path %q is not valid UTF-8", r.URL.EscapedPath())
			return
		}
		query, _ := url.ParseQuery(r.URL.RawQuery) // malformed: checkQueries says so
		names := make([]string, 0, len(query))
		for name := range query {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if !utf8.ValidString(name) {
				badRequest(w, "query parameter %q: its name is not valid UTF-8", name)
				return
			}
			for _, v := range query[name] {
				if !utf8.ValidString(v) {
					badRequest(w, "query parameter '%s': the value is not valid UTF-8", name)
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// checkBodyUTF8 reads the body (bounded by limits: larger is 413, here, the
// one place a body is read whole) and refuses it when it is not UTF-8,
// naming the JSON field that holds the bad bytes.
func checkBodyUTF8(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeJSON(w, http.StatusRequestEntityTooLarge, ErrorBody{
				Code: http.StatusRequestEntityTooLarge, Status: codeName(codes.InvalidArgument),
				Message: fmt.Sprintf("the request body is larger than this gateway accepts "+
					"(-max_body_bytes=%d)", tooLarge.Limit)})
			return
		}
		if err != nil {
			WriteStatus(w, status.Error(codes.InvalidArgument, "reading the body: "+err.Error()))
			return
		}
		bad := firstInvalidUTF8(body)
		if bad < 0 {
			bad = firstLoneSurrogate(body)
		}
		if bad >= 0 {
			if field := jsonPathAt(body, bad); field != "" {
				badRequest(w, "body: field '%s' is not valid UTF-8", field)
			} else {
				badRequest(w, "body: not valid UTF-8 at byte %d", bad)
			}
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

// firstInvalidUTF8 is the offset of the first byte of b that does not start
// a valid UTF-8 sequence, or -1.
func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// firstLoneSurrogate is the offset of the first \uD800-\uDFFF escape of b
// that is not half of a pair (a high then a low), or -1. Go's decoder would
// store such an escape as U+FFFD, a character the client did not send.
// Outside a string a backslash is a syntax error, so escapes are read
// wherever they are; an escaped backslash is skipped whole.
func firstLoneSurrogate(b []byte) int {
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		r := escapedRune(b, i)
		switch {
		case r >= 0xD800 && r <= 0xDBFF:
			if low := escapedRune(b, i+6); low < 0xDC00 || low > 0xDFFF {
				return i
			}
			i += 11
		case r >= 0xDC00 && r <= 0xDFFF:
			return i
		default:
			i++ // the escaped character: a backslash ends no escape after it
		}
	}
	return -1
}

// escapedRune is the code unit of a \uXXXX escape at b[i], or -1.
func escapedRune(b []byte, i int) rune {
	if i+6 > len(b) || b[i] != '\\' || b[i+1] != 'u' {
		return -1
	}
	n, err := strconv.ParseUint(string(b[i+2:i+6]), 16, 16)
	if err != nil {
		return -1
	}
	return rune(n)
}

type jsonFrame struct {
	object  bool
	key     string // object: the key of the value being read
	index   int    // array: the index of the value being read
	wantKey bool   // object: the next string is a key
}

// jsonPathAt is the path ("permit.client", "writes[1].key_refs[0].field") of
// the JSON string holding byte `offset` of doc, or "" when doc does not
// parse that far.
func jsonPathAt(doc []byte, offset int) string {
	dec := json.NewDecoder(bytes.NewReader(doc))
	var stack []jsonFrame
	done := func() { // a value ended: the parent moves to its next one
		if n := len(stack); n > 0 {
			if stack[n-1].object {
				stack[n-1].wantKey = true
			} else {
				stack[n-1].index++
			}
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, jsonFrame{object: true, wantKey: true})
			case '[':
				stack = append(stack, jsonFrame{})
			default:
				stack = stack[:len(stack)-1]
				done()
			}
			continue
		}
		n := len(stack)
		key := n > 0 && stack[n-1].object && stack[n-1].wantKey
		if key {
			stack[n-1].key, stack[n-1].wantKey = fmt.Sprint(tok), false
		}
		if int(dec.InputOffset()) > offset {
			return framesPath(stack)
		}
		if !key {
			done()
		}
	}
}

func framesPath(stack []jsonFrame) string {
	var b strings.Builder
	for _, f := range stack {
		if !f.object {
			fmt.Fprintf(&b, "[%d]", f.index)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(f.key)
	}
	return b.String()
}
