package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"

	"github.com/golang/protobuf/proto"
	"github.com/golang/protobuf/protoc-gen-go/descriptor"
	"github.com/grpc-ecosystem/grpc-gateway/runtime"
	"google.golang.org/protobuf/encoding/protojson"
	protov2 "google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/runtime/protoimpl"
)

// Marshaler is JSON with the proto field names ("county_status"), every field
// present in responses (zero values included, so clients see the schema), and
// request bodies read strictly: a field the record does not have is a 400
// naming it, rather than data silently dropped; a bad value is a 400 naming
// its field.
//
// Messages are read and written by protojson (google.golang.org/protobuf),
// through the generated (golang/protobuf 1.3) messages' reflection wrapper:
// the same JSON as jsonpb 1.3 prints, at a third of its CPU both ways (a
// Permit: printed in 5.0 µs instead of 15.3, parsed in 6.0 instead of 20.7;
// jsonpb parses every field's struct tags on every call). Values that are
// not messages go through runtime.JSONPb.
type Marshaler struct {
	runtime.JSONPb
}

var (
	printOptions = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}
	readOptions  = protojson.UnmarshalOptions{}
)

// v2 is msg as a google.golang.org/protobuf message.
func v2(msg proto.Message) protov2.Message { return protoimpl.X.ProtoMessageV2Of(msg) }

// Marshal writes v as JSON: a message, a stream's chunk ({"result": message}
// or {"error": status}), or any other value runtime.JSONPb takes.
func (m *Marshaler) Marshal(v interface{}) ([]byte, error) {
	switch x := v.(type) {
	case proto.Message:
		return marshalMessage(x)
	case map[string]proto.Message:
		members := make(map[string]json.RawMessage, len(x))
		for name, msg := range x {
			b, err := marshalMessage(msg)
			if err != nil {
				return nil, err
			}
			members[name] = b
		}
		return json.Marshal(members)
	}
	return m.JSONPb.Marshal(v)
}

// NewEncoder writes each value as Marshal does.
func (m *Marshaler) NewEncoder(w io.Writer) runtime.Encoder {
	return runtime.EncoderFunc(func(v interface{}) error {
		b, err := m.Marshal(v)
		if err == nil {
			_, err = w.Write(b)
		}
		return err
	})
}

func marshalMessage(msg proto.Message) ([]byte, error) {
	b, err := printOptions.Marshal(v2(msg))
	if err != nil || !(spacedCommas || needsRewrite(b)) {
		return b, err
	}
	return asJsonpbPrinted(b), nil
}

// spacedCommas: protojson writes ", " instead of "," in some binaries (it
// decides from a hash of the executable, to keep clients from depending on
// its bytes). The gateway's answers stay the same bytes in every build.
var spacedCommas = func() bool {
	b, _ := printOptions.Marshal(v2(&descriptor.EnumValueDescriptorProto{}))
	return bytes.Contains(b, []byte(", "))
}()

// rewritten are the bytes protojson and jsonpb print differently in a string.
var rewritten = func() (t [256]bool) {
	for _, c := range []byte("<>&\\\xe2") {
		t[c] = true
	}
	return t
}()

func needsRewrite(b []byte) bool {
	for _, c := range b {
		if rewritten[c] {
			return true
		}
	}
	return false
}

// asJsonpbPrinted is protojson's output b in the bytes jsonpb 1.3 (that is,
// encoding/json) printed, which clients of earlier versions saw: no space
// after a comma; in strings <, > and & as \u003c, \u003e and \u0026 (safe to
// embed in HTML), U+2028 and U+2029 as \u2028 and \u2029 (safe in
// JavaScript), backspace and form feed as \u0008 and \u000c.
func asJsonpbPrinted(b []byte) []byte {
	out := make([]byte, 0, len(b)+32)
	inString := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !inString {
			out = append(out, c)
			if c == '"' {
				inString = true
			} else if c == ',' && i+1 < len(b) && b[i+1] == ' ' {
				i++
			}
			continue
		}
		switch {
		case c == '"':
			inString = false
		case c == '\\' && i+1 < len(b):
			i++
			switch b[i] {
			case 'b':
				out = append(out, `\u0008`...)
			case 'f':
				out = append(out, `\u000c`...)
			default:
				out = append(out, c, b[i])
			}
			continue
		case c == '<' || c == '>' || c == '&':
			out = append(out, '\\', 'u', '0', '0', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
			continue
		case c == 0xe2 && i+2 < len(b) && b[i+1] == 0x80 && (b[i+2] == 0xa8 || b[i+2] == 0xa9):
			out = append(out, `\u202`...)
			out = append(out, "89"[b[i+2]-0xa8])
			i += 2
			continue
		}
		out = append(out, c)
	}
	return out
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
	err := readOptions.Unmarshal(raw, v2(msg))
	// protojson 1.28 reads a number in quotes up to its first non-digit:
	// "0!" is stored as 0. Its refusals name the type, not the field.
	if quoted := checkQuotedNumbers(raw, reflect.TypeOf(msg).Elem()); quoted != nil {
		return quoted // names the field by its path, e.g. 'lines[2].fee_cents'
	}
	if err == nil {
		return nil
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
		if ferr := readOptions.Unmarshal(one, v2(probe)); ferr != nil {
			why := withoutPosition(ferr)
			if strings.HasPrefix(why, "unknown field") {
				return fmt.Errorf("field '%s': %s in %s", name, why, proto.MessageName(msg))
			}
			value := string(fields[name])
			if len(value) > 80 {
				value = value[:77] + "..."
			}
			return fmt.Errorf("field '%s': %s is not valid: %s", name, value, why)
		}
	}
	return fmt.Errorf("%s", withoutPosition(err))
}

// withoutPosition is a protojson error without its "proto: (line 1:2): "
// prefix: the place is in the probe, not in the client's body.
func withoutPosition(err error) string {
	why := strings.TrimPrefix(err.Error(), "proto:")
	why = strings.TrimLeft(why, " \u00a0") // protojson picks one per binary
	if strings.HasPrefix(why, "(line ") {
		if end := strings.Index(why, "): "); end >= 0 {
			why = why[end+3:]
		}
	}
	return why
}
