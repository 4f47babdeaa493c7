package gateway

import (
	"io"
	"strings"
	"testing"

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
