package config

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var pythonSettings = []Setting{
	{Name: "interpreter", Type: "string", Required: true},
	{Name: "unbuffered", Type: "bool"},
	{Name: "workers", Type: "number"},
	{Name: "ratio", Type: "number"},
	{Name: "token", Type: "string"},
}

func TestSettings(t *testing.T) {
	opts := testOptions()
	opts.LangPacks = nil // the fixture's blocks are named after the cases
	cfg, files, diags := Load("testdata/settings.hcl", opts)
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	tests := []struct {
		langpack string
		schema   []Setting
		want     map[string]string
		golden   string // rendered diagnostics, "" for none
	}{
		{
			langpack: "all",
			schema:   pythonSettings,
			want: map[string]string{
				"interpreter": "/usr/bin/python3",
				"unbuffered":  "true",
				"workers":     "4",
				"ratio":       "0.25",
				"token":       "t0k",
			},
		},
		{
			// Absent and null optional settings have no entry.
			langpack: "partial",
			schema:   pythonSettings,
			want:     map[string]string{"interpreter": "/usr/bin/python3"},
		},
		{
			langpack: "bad",
			schema:   pythonSettings,
			want:     map[string]string{},
			golden:   "testdata/settings-bad.golden",
		},
		{
			// An adapter that declares no settings rejects them all.
			langpack: "partial",
			schema:   nil,
			want:     map[string]string{},
			golden:   "testdata/settings-none.golden",
		},
	}
	for _, tt := range tests {
		t.Run(tt.langpack, func(t *testing.T) {
			got, diags := cfg.LangPacks[tt.langpack].Settings(tt.schema)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Settings mismatch (-want +got):\n%s", diff)
			}
			if tt.golden == "" {
				if len(diags) > 0 {
					t.Errorf("diagnostics: %v", diags)
				}
				return
			}
			var buf bytes.Buffer
			if err := files.WriteDiagnostics(&buf, diags, false); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.golden, buf.Bytes())
		})
	}
}

func TestSettingsNilLangPack(t *testing.T) {
	var l *LangPack // no langpack block
	got, diags := l.Settings(pythonSettings)
	if len(got) != 0 {
		t.Errorf("Settings = %v, want none", got)
	}
	if len(diags) != 1 || diags[0].Summary != "Missing langpack block" {
		t.Errorf("diagnostics = %v, want one Missing langpack block", diags)
	}
	if _, diags := l.Settings([]Setting{{Name: "unbuffered", Type: "bool"}}); len(diags) > 0 {
		t.Errorf("optional settings only: diagnostics = %v", diags)
	}
}

func TestSettingsBadSchema(t *testing.T) {
	for _, schema := range [][]Setting{
		{{Name: "workers", Type: "int"}},
		{{Name: "", Type: "string"}},
		{{Name: "a", Type: "string"}, {Name: "a", Type: "bool"}},
	} {
		got, diags := (&LangPack{Name: "x"}).Settings(schema)
		if got != nil || len(diags) != 1 || diags[0].Summary != "Invalid LangPack settings schema" {
			t.Errorf("Settings(%v) = %v, %v; want one Invalid LangPack settings schema", schema, got, diags)
		}
	}
}
