package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// Numbers in quotes. Proto3's JSON mapping lets a number field take its value
// as a string ("fee_cents": "1500", the way int64s are printed). Neither JSON
// library the gateway has used reads such a string strictly: jsonpb (golang/
// protobuf 1.3) took surrounding spaces and the word null ("0 ", " 7" and
// "null" were stored as 0 and 7), protojson 1.28 reads up to the first
// character that is not part of a number ("0!" is stored as 0); FuzzRESTBody
// found both. checkQuotedNumbers refuses them, walking the body beside the
// message's Go type in one pass over its bytes, and names the field by its
// path as the body spells it.

// The well-known wrapper types whose JSON is the bare number.
var numberWrappers = map[string]bool{
	"DoubleValue": true, "FloatValue": true, "Int64Value": true,
	"UInt64Value": true, "Int32Value": true, "UInt32Value": true,
}

type wellKnown interface{ XXX_WellKnownType() string }
type oneofWrappers interface{ XXX_OneofWrappers() []interface{} }
type protoEnum interface{ EnumDescriptor() ([]byte, []int) }

// checkQuotedNumbers returns an error naming the first field (by path, in
// the body's order) whose number is a string that is not exactly a number.
// `t` is the message's struct type. A body that is not JSON passes: the
// caller's parse refuses it.
func checkQuotedNumbers(raw []byte, t reflect.Type) error {
	s := scanner{b: raw}
	return s.message(t, "")
}

// scanner walks JSON bytes; on bytes that are not JSON it sets bad and
// every step after that does nothing.
type scanner struct {
	b   []byte
	i   int
	bad bool
}

func (s *scanner) peek() byte {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return s.b[s.i]
		}
	}
	s.bad = true
	return 0
}

// eat consumes c if it comes next.
func (s *scanner) eat(c byte) bool {
	if !s.bad && s.peek() == c {
		s.i++
		return true
	}
	return false
}

// str reads a string literal: its bytes, quotes included.
func (s *scanner) str() []byte {
	if s.bad || s.peek() != '"' {
		s.bad = true
		return nil
	}
	start := s.i
	for s.i++; s.i < len(s.b); s.i++ {
		switch s.b[s.i] {
		case '\\':
			s.i++
		case '"':
			s.i++
			return s.b[start:s.i]
		}
	}
	s.bad = true
	return nil
}

// text is a string literal's content.
func text(literal []byte) string {
	if bytes.IndexByte(literal, '\\') < 0 {
		return string(literal[1 : len(literal)-1])
	}
	var t string
	_ = json.Unmarshal(literal, &t)
	return t
}

// endsValue are the bytes that end a number or a literal.
var endsValue = [256]bool{',': true, '}': true, ']': true, ' ': true, '\t': true, '\n': true, '\r': true}

// skip passes over one value.
func (s *scanner) skip() {
	switch s.peek() {
	case '"':
		s.str()
	case '{':
		s.members(func([]byte) error { s.skip(); return nil })
	case '[':
		s.items(func(int) error { s.skip(); return nil })
	default: // a number, true, false or null
		start := s.i
		for s.i < len(s.b) && !endsValue[s.b[s.i]] {
			s.i++
		}
		s.bad = s.bad || s.i == start
	}
}

// sequence reads the object or array that comes next (`open` '{' or '['),
// calling f for each member or item, to read it.
func (s *scanner) sequence(open, close byte, f func(i int) error) error {
	if !s.eat(open) || s.eat(close) {
		return nil
	}
	for i := 0; !s.bad; i++ {
		if err := f(i); err != nil {
			return err
		}
		if !s.eat(',') {
			s.bad = s.bad || !s.eat(close)
			return nil
		}
	}
	return nil
}

// members calls f for each member of the object that comes next, after its
// name (a string literal) and colon, to read its value.
func (s *scanner) members(f func(name []byte) error) error {
	return s.sequence('{', '}', func(int) error {
		name := s.str()
		if !s.eat(':') {
			s.bad = true
			return nil
		}
		return f(name)
	})
}

// items calls f for each item of the array that comes next, to read it.
func (s *scanner) items(f func(i int) error) error {
	return s.sequence('[', ']', f)
}

func (s *scanner) message(t reflect.Type, path string) error {
	if s.peek() != '{' {
		s.skip() // null; anything else the parse refuses
		return nil
	}
	fields := messageFields(t)
	return s.members(func(name []byte) error {
		field, ok := fields[string(name[1:len(name)-1])]
		if !ok && bytes.IndexByte(name, '\\') >= 0 {
			field, ok = fields[text(name)]
		}
		if !ok {
			s.skip() // an unknown field: the parse refuses it
			return nil
		}
		if path != "" {
			return s.value(field.typ, path+"."+field.name)
		}
		return s.value(field.typ, field.name)
	})
}

func (s *scanner) value(t reflect.Type, path string) error {
	if t.Kind() == reflect.Ptr && t.Elem().Kind() != reflect.Struct {
		t = t.Elem() // a proto2 optional scalar
	}
	switch {
	case t.Kind() == reflect.Ptr && t.Elem().Kind() == reflect.Struct:
		if wkt, ok := reflect.Zero(t).Interface().(wellKnown); ok {
			if numberWrappers[wkt.XXX_WellKnownType()] {
				return s.number(path)
			}
			s.skip() // Timestamp, Duration, Struct, Any: parsed strictly
			return nil
		}
		return s.message(t.Elem(), path)
	case t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8:
		if s.peek() != '[' {
			s.skip()
			return nil
		}
		return s.items(func(i int) error {
			return s.value(t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		})
	case t.Kind() == reflect.Map:
		if s.peek() != '{' {
			s.skip()
			return nil
		}
		return s.members(func(key []byte) error {
			return s.value(t.Elem(), fmt.Sprintf("%s[%q]", path, text(key)))
		})
	case isNumber(t):
		return s.number(path)
	}
	s.skip()
	return nil
}

func isNumber(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int32, reflect.Int64, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return !t.Implements(reflect.TypeOf((*protoEnum)(nil)).Elem())
	}
	return false
}

// number checks a number field's value: a bare number (JSON's grammar is
// exact) or a string holding exactly one.
func (s *scanner) number(path string) error {
	if s.peek() != '"' {
		s.skip()
		return nil
	}
	literal := s.str()
	if literal == nil {
		return nil
	}
	switch t := text(literal); {
	case t == "NaN", t == "Infinity", t == "-Infinity", isJSONNumber(t):
		return nil
	}
	return fmt.Errorf("field '%s': %s is not a number", path, literal)
}

// isJSONNumber: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func isJSONNumber(t string) bool {
	i := 0
	digits := func() int {
		start := i
		for i < len(t) && t[i] >= '0' && t[i] <= '9' {
			i++
		}
		return i - start
	}
	if i < len(t) && t[i] == '-' {
		i++
	}
	if i < len(t) && t[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if i < len(t) && t[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(t) && (t[i] == 'e' || t[i] == 'E') {
		i++
		if i < len(t) && (t[i] == '+' || t[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(t)
}

// A field of a generated message: its Go type, and its name as a body
// spells it (the proto name or the camelCase one).
type messageField struct {
	typ  reflect.Type
	name string
}

var fieldsByType sync.Map // reflect.Type → map[string]messageField

// messageFields maps a generated message's JSON names (the proto name and
// the camelCase one, both of which protojson reads) to its fields, oneof
// members included.
func messageFields(t reflect.Type) map[string]messageField {
	if cached, ok := fieldsByType.Load(t); ok {
		return cached.(map[string]messageField)
	}
	fields := map[string]messageField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		addField(fields, f)
		if f.Tag.Get("protobuf_oneof") == "" {
			continue
		}
		if w, ok := reflect.New(t).Interface().(oneofWrappers); ok {
			for _, wrapper := range w.XXX_OneofWrappers() {
				wt := reflect.TypeOf(wrapper).Elem()
				for j := 0; j < wt.NumField(); j++ {
					addField(fields, wt.Field(j))
				}
			}
		}
	}
	fieldsByType.Store(t, fields)
	return fields
}

func addField(fields map[string]messageField, f reflect.StructField) {
	for _, part := range strings.Split(f.Tag.Get("protobuf"), ",") {
		if name := strings.TrimPrefix(part, "name="); name != part {
			fields[name] = messageField{f.Type, name}
		} else if name := strings.TrimPrefix(part, "json="); name != part {
			fields[name] = messageField{f.Type, name}
		}
	}
}
