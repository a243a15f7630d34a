package sdk

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestBasicInfo(t *testing.T) {
	var probes int
	tests := []struct {
		name string
		b    *Basic
		want *InfoResponse
	}{
		{
			name: "without a toolchain",
			b:    &Basic{InfoResponse: InfoResponse{Name: "mini"}},
			want: &InfoResponse{Name: "mini", APIVersions: []uint32{APIVersion}},
		},
		{
			name: "toolchain setting first",
			b: &Basic{
				InfoResponse: InfoResponse{Name: "shell", Settings: []SettingSchema{{Name: "cache", Type: "string"}}},
				Toolchain:    newTestToolchain(&probes, nil),
			},
			want: &InfoResponse{Name: "shell", APIVersions: []uint32{APIVersion}, Settings: []SettingSchema{
				{Name: "shell", Type: "string", Description: "the Shell to use; default: sh on PATH"},
				{Name: "cache", Type: "string"},
			}},
		},
		{
			name: "declared toolchain setting and versions kept",
			b: &Basic{
				InfoResponse: InfoResponse{Name: "shell", APIVersions: []uint32{1, 2}, Settings: []SettingSchema{{Name: "shell", Type: "string", Description: "mine"}}},
				Toolchain:    newTestToolchain(&probes, nil),
			},
			want: &InfoResponse{Name: "shell", APIVersions: []uint32{1, 2}, Settings: []SettingSchema{{Name: "shell", Type: "string", Description: "mine"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 2 { // Info leaves the declaration as it was
				got, err := tt.b.Info(context.Background(), &InfoRequest{})
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("Info (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestBasicSetup(t *testing.T) {
	ctx := context.Background()
	own := &Basic{Runtime: Runtime{Name: "bin/pipe"}}
	resp, err := own.Setup(ctx, &SetupRequest{Settings: map[string]string{"cache": "/tmp/c"}})
	if err != nil || resp.Runtime != (Runtime{Found: true, Name: "bin/pipe"}) {
		t.Errorf("Setup without a toolchain: %+v, %v", resp, err)
	}
	if got := own.Setting("cache"); got != "/tmp/c" {
		t.Errorf("Setting(cache) = %q", got)
	}
	if got := own.Setting("other"); got != "" {
		t.Errorf("Setting(other) = %q, want empty", got)
	}

	var probes int
	b := &Basic{Toolchain: newTestToolchain(&probes, nil)}
	if s := b.Setting("shell"); s != "" {
		t.Errorf("Setting before Setup = %q", s)
	}
	resp, err = b.Setup(ctx, &SetupRequest{Settings: map[string]string{"shell": "no-such-shell-here"}})
	if err != nil || resp.Runtime.Found || !strings.Contains(resp.Runtime.Message, "apt-get install dash") {
		t.Errorf("Setup through the toolchain: %+v, %v", resp, err)
	}
	if s := b.Setting("shell"); s != "no-such-shell-here" {
		t.Errorf("Setting(shell) = %q", s)
	}
}

func TestBasicScaffold(t *testing.T) {
	files := fstest.MapFS{
		"runner/pipe.sh":             {Data: []byte("runner")},
		"template/src/__ALGO_NAME__": {Data: []byte("by __ALGO_OWNER__")},
	}
	b := &Basic{Template: files, TemplateDir: "template"}
	resp, err := b.Scaffold(context.Background(), &ScaffoldRequest{Owner: "alice", Name: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	want := []File{{Path: "src/hello", Content: []byte("by alice"), Mode: 0o644}}
	if diff := cmp.Diff(want, resp.Files); diff != "" {
		t.Errorf("Scaffold (-want +got):\n%s", diff)
	}

	none := &Basic{InfoResponse: InfoResponse{Name: "mini"}}
	if _, err := none.Scaffold(context.Background(), &ScaffoldRequest{Name: "hello"}); err == nil || !strings.Contains(err.Error(), "mini LangPack has no template") {
		t.Errorf("Scaffold without a template: %v", err)
	}
}
