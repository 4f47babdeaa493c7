package gateway

import (
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/golang/protobuf/jsonpb"
	"github.com/golang/protobuf/proto"
	"github.com/golang/protobuf/protoc-gen-go/descriptor"
	durationpb "github.com/golang/protobuf/ptypes/duration"
	"github.com/golang/protobuf/ptypes/empty"
	structpb "github.com/golang/protobuf/ptypes/struct"
	"github.com/golang/protobuf/ptypes/timestamp"
	"github.com/golang/protobuf/ptypes/wrappers"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
)

func TestAStreamOfJSONValuesDecodesOneByOneUntilEOF(t *testing.T) {
	dec := NewMarshaler().NewDecoder(strings.NewReader("{}\n{} {}"))
	decoded := 0
	for {
		var e empty.Empty
		err := dec.Decode(&e)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("decode %d: %v", decoded, err)
		}
		decoded++
	}
	if decoded != 3 {
		t.Fatalf("decoded %d values, want 3", decoded)
	}
}

func TestAnEmptyBodyIsNotJSONRatherThanAnEmptyMessage(t *testing.T) {
	var e empty.Empty
	err := NewMarshaler().NewDecoder(strings.NewReader("")).Decode(&e)
	if err == nil || err == io.EOF || !strings.Contains(err.Error(), "not JSON") {
		t.Fatalf("empty body: %v, want 'the body is not JSON'", err)
	}
}

func TestANumberInQuotesMustBeExactlyANumber(t *testing.T) {
	for body, want := range map[string]string{
		`{"field":[{"number":"1"}]}`:                                        "",
		`{"field":[{"number":1}, {"number":"-2"}]}`:                         "",
		`{"field":[{"number":"1 "}]}`:                                       `field 'field[0].number': "1 " is not a number`,
		`{"field":[{"number":"1!"}]}`:                                       `field 'field[0].number': "1!" is not a number`,
		`{"field":[{"number":" 1"}]}`:                                       `field 'field[0].number': " 1" is not a number`,
		`{"options":{"uninterpretedOption":[{"positiveIntValue":"null"}]}}`: `field 'options.uninterpretedOption[0].positiveIntValue': "null" is not a number`,
		`{"options":{"uninterpreted_option":[{"double_value":"1.5e3"}]}}`:   "",
		`{"options":{"uninterpreted_option":[{"double_value":"NaN"}]}}`:     "",
	} {
		var d descriptor.DescriptorProto
		err := NewMarshaler().NewDecoder(strings.NewReader(body)).Decode(&d)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("%s: got %q, want %q", body, got, want)
		}
	}
}

// The generated messages are golang/protobuf 1.3's, as are these.
func TestMessagesPrintAsJsonpbPrintedThem(t *testing.T) {
	value := func(v *structpb.Value) *structpb.Value { return v }
	fields := &structpb.Struct{Fields: map[string]*structpb.Value{
		"a": {Kind: &structpb.Value_NumberValue{NumberValue: 1.5}},
		"b": {Kind: &structpb.Value_ListValue{ListValue: &structpb.ListValue{Values: []*structpb.Value{
			value(&structpb.Value{Kind: &structpb.Value_StringValue{StringValue: "x, \"y\""}}),
			value(&structpb.Value{Kind: &structpb.Value_BoolValue{BoolValue: true}}),
			value(&structpb.Value{Kind: &structpb.Value_NullValue{}}),
		}}}},
	}}
	for _, msg := range []proto.Message{
		&empty.Empty{},
		&durationpb.Duration{Seconds: 1, Nanos: 500000000},
		&timestamp.Timestamp{Seconds: 1700000001, Nanos: 5000},
		&timestamp.Timestamp{Seconds: -1},
		&wrappers.Int64Value{Value: -7},
		&wrappers.UInt64Value{Value: 1 << 63},
		&wrappers.BytesValue{Value: []byte{0, 1, 254}},
		&wrappers.DoubleValue{Value: 0.1},
		&wrappers.FloatValue{Value: 1e-7},
		&wrappers.StringValue{Value: "é\u2028\u2029<>&\b\f\n\t\x01\x7f\"\\ , "},
		fields,
	} {
		var want bytes.Buffer
		if err := (&jsonpb.Marshaler{OrigName: true, EmitDefaults: true}).Marshal(&want, msg); err != nil {
			t.Fatalf("jsonpb %T: %v", msg, err)
		}
		got, err := NewMarshaler().Marshal(msg)
		if err != nil {
			t.Fatalf("%T: %v", msg, err)
		}
		if string(got) != want.String() {
			t.Errorf("%T: got %s, want %s", msg, got, want.String())
		}
	}
}

func TestAStreamChunkIsAnObjectOfMessages(t *testing.T) {
	got, err := NewMarshaler().Marshal(map[string]proto.Message{"result": &wrappers.StringValue{Value: "a, b"}})
	if err != nil || string(got) != `{"result":"a, b"}` {
		t.Fatalf("got %s, %v", got, err)
	}
}

func TestCommaSpacesGoOnlyOutsideStrings(t *testing.T) {
	in := `{"a":"x, \"y, z\"", "b":[1, 2], "c":"\\", "d":3}`
	want := `{"a":"x, \"y, z\"","b":[1,2],"c":"\\","d":3}`
	if got := string(asJsonpbPrinted([]byte(in))); got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestAnUnknownFieldIsNamedWithItsMessage(t *testing.T) {
	var info errdetails.ErrorInfo
	err := NewMarshaler().NewDecoder(strings.NewReader(`{"reason":"a","colour":"red"}`)).Decode(&info)
	want := `field 'colour': unknown field "colour" in google.rpc.ErrorInfo`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
}

func TestTheQuotedNumberCheckPassesOverBytesThatAreNotJSON(t *testing.T) {
	typ := reflect.TypeOf(descriptor.DescriptorProto{})
	for _, body := range []string{
		``, `{`, `{"field":`, `{"field":[`, `{"field":[{"number":"1`, `"abc`, `[`,
		`{"a" 1}`, `{"field":[{"number":"1"}`, `{"field":[{"number":"1"},]}`, `nul`,
		`{"field":{"number":"1x"}}`, `{"name":{"a":[1,{"b":"\"}"}]}, "field":[]}`,
	} {
		if err := checkQuotedNumbers([]byte(body), typ); err != nil {
			t.Errorf("%s: %v", body, err)
		}
	}
	body := `{"n\u0061me":"x", "field" : [ {"number":"2"} , {"number":"3 x"} ]}`
	want := `field 'field[1].number': "3 x" is not a number`
	if err := checkQuotedNumbers([]byte(body), typ); err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}
