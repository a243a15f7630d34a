package sdk

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func newTestToolchain(probes *int, probeErr error) *Toolchain {
	return &Toolchain{
		Name: "sh", What: "Shell", LangPack: "shell", Setting: "shell", Default: "sh", Install: "apt-get install dash",
		Probe: func(_ context.Context, path string) (string, string, error) {
			*probes++
			return "/real" + path, "1.2.3", probeErr
		},
	}
}

func TestToolchain(t *testing.T) {
	ctx := context.Background()
	var probes int
	tc := newTestToolchain(&probes, nil)

	// Find without Setup probes the default once and remembers it.
	for range 2 {
		rt, err := tc.Find(ctx)
		if err != nil || rt.Name != "sh" || rt.Version != "1.2.3" || rt.Path[:5] != "/real" {
			t.Fatalf("Find: %+v %v", rt, err)
		}
	}
	if probes != 1 {
		t.Errorf("probed %d times, want 1", probes)
	}

	// A setting naming a missing executable: the message says what to do.
	resp, err := tc.Setup(ctx, &SetupRequest{Settings: map[string]string{"shell": "no-such-shell-here"}})
	if err != nil {
		t.Fatal(err)
	}
	want := Runtime{Name: "sh", Message: `Shell "no-such-shell-here" not found: install it (Debian: apt-get install dash) or set shell in the langpack "shell" block`}
	if diff := cmp.Diff(want, resp.Runtime); diff != "" {
		t.Errorf("missing runtime (-want +got):\n%s", diff)
	}
	if _, err := tc.Find(ctx); err == nil || err.Error() != want.Message {
		t.Errorf("Find after a failed Setup: %v", err)
	}

	// A probe that refuses the executable.
	refusing := newTestToolchain(&probes, errors.New("sh is too old"))
	if _, err := refusing.Find(ctx); err == nil || err.Error() != "sh is too old" {
		t.Errorf("refused runtime: %v", err)
	}
}

func TestProbeLines(t *testing.T) {
	ctx := context.Background()
	lines, err := ProbeLines(ctx, "Shell", "/bin/sh", 2, "-c", "echo /real/sh; echo 1.2.3")
	if diff := cmp.Diff([]string{"/real/sh", "1.2.3"}, lines); diff != "" || err != nil {
		t.Errorf("ProbeLines (-want +got):\n%s%v", diff, err)
	}
	tests := []struct{ name, script, want string }{
		{"fails", "exit 2", "Shell /bin/sh does not run: exit status 2"},
		{"too few lines", "echo /real/sh", `Shell /bin/sh printed "/real/sh\n", not the 2 lines expected`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ProbeLines(ctx, "Shell", "/bin/sh", 2, "-c", tt.script); err == nil || err.Error() != tt.want {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestToolchainSettingSchema(t *testing.T) {
	var probes int
	want := SettingSchema{Name: "shell", Type: "string", Description: "the Shell to use; default: sh on PATH"}
	if diff := cmp.Diff(want, newTestToolchain(&probes, nil).SettingSchema()); diff != "" {
		t.Errorf("SettingSchema (-want +got):\n%s", diff)
	}
}
