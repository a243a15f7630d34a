package conformance

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestApply(t *testing.T) {
	if got, err := Apply("world"); err != nil || got != "hello world" {
		t.Errorf(`Apply("world") = %v, %v`, got, err)
	}
	if got, err := Apply([]byte{0, 1}); err != nil || !bytes.Equal(got.([]byte), []byte{0, 1}) {
		t.Errorf("Apply(bytes) = %v, %v", got, err)
	}
	_, err := Apply("fail")
	if err == nil || err.Error() != "conformance failure" || !strings.Contains(fmt.Sprintf("%+v", err), "src.Apply(") {
		t.Errorf(`Apply("fail") error %+v`, err)
	}
}
