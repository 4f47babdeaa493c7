package gateway

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Numbers in quotes. Proto3's JSON mapping lets a number field take its value
// as a string ("fee_cents": "1500", the way int64s are printed), and protojson
// refuses one that is not exactly a number ("0 ", " 7", "null"; found by
// FuzzRESTBody when the gateway still parsed with jsonpb, which took them).
// protojson's error names the type, not the field; checkQuotedNumbers, run
// on a body protojson refused, names the field by its path.

var quotedNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// The well-known wrapper types whose JSON is the bare number.
var numberWrappers = map[string]bool{
	"DoubleValue": true, "FloatValue": true, "Int64Value": true,
	"UInt64Value": true, "Int32Value": true, "UInt32Value": true,
}

type wellKnown interface{ XXX_WellKnownType() string }
type oneofWrappers interface{ XXX_OneofWrappers() []interface{} }
type protoEnum interface{ EnumDescriptor() ([]byte, []int) }

// checkQuotedNumbers returns an error naming the first field (by path, in
// name order) whose number is a string that is not exactly a number.
// `t` is the message's struct type.
func checkQuotedNumbers(raw json.RawMessage, t reflect.Type) error {
	return checkMessage(raw, t, "")
}

func checkJSONValue(raw json.RawMessage, t reflect.Type, path string) error {
	if t.Kind() == reflect.Ptr && t.Elem().Kind() != reflect.Struct {
		t = t.Elem() // a proto2 optional scalar
	}
	switch {
	case t.Kind() == reflect.Ptr && t.Elem().Kind() == reflect.Struct:
		if wkt, ok := reflect.Zero(t).Interface().(wellKnown); ok {
			if numberWrappers[wkt.XXX_WellKnownType()] {
				return checkNumber(raw, path)
			}
			return nil // Timestamp, Duration, Struct, Any: parsed strictly
		}
		return checkMessage(raw, t.Elem(), path)
	case t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return nil // null, or not an array: the probe of each field names it
		}
		for i, item := range items {
			if err := checkJSONValue(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Map:
		return eachField(raw, func(key string, value json.RawMessage) error {
			return checkJSONValue(value, t.Elem(), fmt.Sprintf("%s[%q]", path, key))
		})
	case isNumber(t):
		return checkNumber(raw, path)
	}
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

func checkNumber(raw json.RawMessage, path string) error {
	var text string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &text) != nil {
		return nil // a bare number (or null): encoding/json's grammar is exact
	}
	switch text {
	case "NaN", "Infinity", "-Infinity":
		return nil
	}
	if !quotedNumber.MatchString(text) {
		return fmt.Errorf("field '%s': %s is not a number", path, raw)
	}
	return nil
}

func checkMessage(raw json.RawMessage, t reflect.Type, path string) error {
	fields := messageFields(t)
	return eachField(raw, func(name string, value json.RawMessage) error {
		ft, ok := fields[name]
		if !ok {
			return nil // an unknown field: the probe of each field names it
		}
		if path != "" {
			name = path + "." + name
		}
		return checkJSONValue(value, ft, name)
	})
}

// eachField calls f for each member of a JSON object, in name order.
func eachField(raw json.RawMessage, f func(string, json.RawMessage) error) error {
	var members map[string]json.RawMessage
	if json.Unmarshal(raw, &members) != nil {
		return nil
	}
	names := make([]string, 0, len(members))
	for name := range members {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := f(name, members[name]); err != nil {
			return err
		}
	}
	return nil
}

var fieldsByType sync.Map // reflect.Type → map[string]reflect.Type

// messageFields maps a generated message's JSON names (the proto name and
// the camelCase one, both of which protojson reads) to the fields' Go types,
// oneof members included.
func messageFields(t reflect.Type) map[string]reflect.Type {
	if cached, ok := fieldsByType.Load(t); ok {
		return cached.(map[string]reflect.Type)
	}
	fields := map[string]reflect.Type{}
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

func addField(fields map[string]reflect.Type, f reflect.StructField) {
	for _, part := range strings.Split(f.Tag.Get("protobuf"), ",") {
		if name := strings.TrimPrefix(part, "name="); name != part {
			fields[name] = f.Type
		} else if name := strings.TrimPrefix(part, "json="); name != part {
			fields[name] = f.Type
		}
	}
}
