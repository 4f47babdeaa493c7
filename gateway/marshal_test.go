package gateway

import (
	"io"
	"strings"
	"testing"

	"github.com/golang/protobuf/protoc-gen-go/descriptor"
	"github.com/golang/protobuf/ptypes/empty"
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
