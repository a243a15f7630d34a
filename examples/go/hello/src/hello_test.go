package hello

import "testing"

func TestApplyGreetsInput(t *testing.T) {
	got, err := Apply("algorithmia")
	if err != nil || got != "hello algorithmia" {
		t.Errorf(`Apply("algorithmia") = %v, %v; want "hello algorithmia", nil`, got, err)
	}
}
