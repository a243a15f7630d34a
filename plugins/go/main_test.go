package main

import (
	"context"
	"strings"
	"testing"

	"github.com/langserver/langserver/sdk"
)

func TestAtLeast(t *testing.T) {
	tests := []struct {
		version string
		want    bool
	}{
		{"1.26.8", true},
		{"1.18", true},
		{"1.18.0", true},
		{"1.17.13", false},
		{"1.23rc1", true},
		{"1.17beta1", false},
		{"2.0", true},
		{"devel go1.27-abcdef", true},
		{"", false},
		{"weird", false},
	}
	for _, tt := range tests {
		if got := atLeast(tt.version, 1, 18); got != tt.want {
			t.Errorf("atLeast(%q, 1, 18) = %v, want %v", tt.version, got, tt.want)
		}
	}
}

func TestModulePath(t *testing.T) {
	tests := []struct {
		gomod, want string
		wantErr     bool
	}{
		{"module greeter\n\ngo 1.19\n", "greeter", false},
		{"// comment\nmodule example.com/me/algo // trailing\n", "example.com/me/algo", false},
		{"module \"quoted/path\"\n", "quoted/path", false},
		{"go 1.19\n", "", true},
		{"module \"unterminated\n", "", true},
	}
	for _, tt := range tests {
		got, err := modulePath([]byte(tt.gomod))
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("modulePath(%q) = %q, %v; want %q (error %v)", tt.gomod, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestHasRequirements(t *testing.T) {
	tests := []struct {
		gomod string
		want  bool
	}{
		{"module a\n\ngo 1.19\n", false},
		{"module a\nrequire github.com/pkg/errors v0.9.1\n", true},
		{"module a\nrequire (\n\tgithub.com/pkg/errors v0.9.1\n)\n", true},
		{"module a\n// require nothing\n", false},
	}
	for _, tt := range tests {
		if got := hasRequirements([]byte(tt.gomod)); got != tt.want {
			t.Errorf("hasRequirements(%q) = %v, want %v", tt.gomod, got, tt.want)
		}
	}
}

func TestEnvironWithoutHome(t *testing.T) {
	t.Setenv("HOME", "")
	t.Setenv("GOCACHE", "")
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("GOPATH", "/my/gopath")
	got := map[string]bool{}
	for _, kv := range environ(nil) {
		got[kv] = true
	}
	if !got["GOPATH=/my/gopath"] {
		t.Errorf("GOPATH set by the user was replaced")
	}
	found := false
	for kv := range got {
		found = found || strings.HasPrefix(kv, "GOCACHE=/")
	}
	if !found {
		t.Errorf("no GOCACHE fallback without HOME")
	}
}

func TestScaffoldNamesGoMod(t *testing.T) {
	resp, err := newLangPack().Scaffold(context.Background(), &sdk.ScaffoldRequest{Owner: "me", Name: "greeter"})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range resp.Files {
		files[f.Path] = string(f.Content)
	}
	for _, name := range []string{"go.mod", "algorithmia.conf", "src/greeter.go", "src/greeter_test.go", "README.md"} {
		if _, ok := files[name]; !ok {
			t.Errorf("template has no %s; it has %v", name, resp.Files)
		}
	}
	if want := "module greeter\n\ngo 1.19\n"; files["go.mod"] != want {
		t.Errorf("go.mod = %q, want %q", files["go.mod"], want)
	}
}
