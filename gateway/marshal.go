package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"

	"github.com/golang/protobuf/jsonpb"
	"github.com/golang/protobuf/proto"
	"github.com/grpc-ecosystem/grpc-gateway/runtime"
)

// Marshaler is JSON with the proto field names ("county_status"), every field
// present in responses (zero values included, so clients see the schema), and
// request bodies read strictly: a field the record does not have is a 400
// naming it, rather than data silently dropped; a bad value is a 400 naming
// its field.
type Marshaler struct {
	runtime.JSONPb
}

// NewMarshaler returns the gateway's JSON marshaler.
func NewMarshaler() *Marshaler {
	return &Marshaler{runtime.JSONPb{OrigName: true, EmitDefaults: true}}
}

// Unmarshal reads one JSON value into v.
func (m *Marshaler) Unmarshal(data []byte, v interface{}) error {
	return m.NewDecoder(bytes.NewReader(data)).Decode(v)
}

// NewDecoder reads request bodies. The generated handlers decode into a
// message (body "*") or into a pointer to a message field (body "permit").
// A client stream (Import) decodes JSON values one after another until
// io.EOF; an empty body is still a 400, not an empty message.
func (m *Marshaler) NewDecoder(r io.Reader) runtime.Decoder {
	d := json.NewDecoder(r)
	decoded := false
	return runtime.DecoderFunc(func(v interface{}) error {
		msg, ok := v.(proto.Message)
		if !ok {
			rv := reflect.ValueOf(v)
			if rv.Kind() != reflect.Ptr || rv.Elem().Kind() != reflect.Ptr ||
				!rv.Elem().Type().Implements(reflect.TypeOf((*proto.Message)(nil)).Elem()) {
				return runtime.DecoderWrapper{Decoder: d}.Decode(v)
			}
			if rv.Elem().IsNil() {
				rv.Elem().Set(reflect.New(rv.Elem().Type().Elem()))
			}
			msg = rv.Elem().Interface().(proto.Message)
		}
		var raw json.RawMessage
		if err := d.Decode(&raw); err == io.EOF && decoded {
			return io.EOF // the end of a stream of values
		} else if err != nil {
			return fmt.Errorf("the body is not JSON: %v", err)
		}
		decoded = true
		return decodeStrict(raw, msg)
	})
}

// decodeStrict unmarshals raw into msg; on failure it names the first field
// (in name order) whose value is refused.
func decodeStrict(raw json.RawMessage, msg proto.Message) error {
	strict := jsonpb.Unmarshaler{AllowUnknownFields: false}
	err := strict.Unmarshal(bytes.NewReader(raw), msg)
	if err == nil {
		return checkQuotedNumbers(raw, reflect.TypeOf(msg).Elem())
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return fmt.Errorf("the body must be a JSON object: %v", err)
	}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		one, _ := json.Marshal(map[string]json.RawMessage{name: fields[name]})
		probe := proto.Clone(msg)
		probe.Reset()
		if ferr := strict.Unmarshal(bytes.NewReader(one), probe); ferr != nil {
			if strings.HasPrefix(ferr.Error(), "unknown field") {
				return fmt.Errorf("field '%s': %v", name, ferr)
			}
			value := string(fields[name])
			if len(value) > 80 {
				value = value[:77] + "..."
			}
			return fmt.Errorf("field '%s': %s is not valid: %v", name, value, ferr)
		}
	}
	return err
}
