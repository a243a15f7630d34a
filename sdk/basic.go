package sdk

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"sync"
)

// Basic implements the descriptive half of LangPack (Info, Setup and
// Scaffold) from declarations, so that an adapter embeds it beside a
// *PipeRunners and writes only Build and Test:
//
//	type langPack struct {
//		sdk.Basic
//		*sdk.PipeRunners
//	}
//
// An adapter that needs more overrides a method and may call Basic's from
// its own. Set the fields before Serve: the methods read them unlocked. A
// Basic must not be copied after its first use; embed it in a struct that
// is used by pointer.
type Basic struct {
	// InfoResponse is what Info returns. Info fills in APIVersions, when
	// it is empty, with this SDK's APIVersion, and puts the Toolchain's
	// SettingSchema first in Settings unless Settings declares a setting
	// of that name already.
	InfoResponse InfoResponse
	// Toolchain, when set, finds the runtime in Setup; the adapter calls
	// its Find wherever it needs the runtime.
	Toolchain *Toolchain
	// Runtime is what Setup reports, as found, when there is no
	// Toolchain: for a LangPack whose algorithms bring their own runtime.
	Runtime Runtime
	// Template holds the files Scaffold turns into a new algorithm (see
	// ScaffoldFS); TemplateDir, when set, names the folder of Template
	// that holds them, as when Template is an embed.FS that also holds
	// the runner. Without a Template, Scaffold fails.
	Template    fs.FS
	TemplateDir string

	mu       sync.Mutex
	settings map[string]string
}

// Info returns InfoResponse, completed as its field says.
func (b *Basic) Info(context.Context, *InfoRequest) (*InfoResponse, error) {
	resp := b.InfoResponse
	if len(resp.APIVersions) == 0 {
		resp.APIVersions = []uint32{APIVersion}
	}
	if t := b.Toolchain; t != nil && !slices.ContainsFunc(resp.Settings, func(s SettingSchema) bool { return s.Name == t.Setting }) {
		resp.Settings = append([]SettingSchema{t.SettingSchema()}, resp.Settings...)
	}
	return &resp, nil
}

// Setup keeps the settings for Setting and has the Toolchain find the
// runtime; without a Toolchain it reports Runtime as found.
func (b *Basic) Setup(ctx context.Context, req *SetupRequest) (*SetupResponse, error) {
	b.mu.Lock()
	b.settings = maps.Clone(req.Settings)
	b.mu.Unlock()
	if b.Toolchain == nil {
		rt := b.Runtime
		rt.Found = true
		return &SetupResponse{Runtime: rt}, nil
	}
	return b.Toolchain.Setup(ctx, req)
}

// Setting returns the value of the named setting in the last Setup, or ""
// when it was not set (or Setup was not called).
func (b *Basic) Setting(name string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.settings[name]
}

// Scaffold returns the files of a new algorithm made from Template.
func (b *Basic) Scaffold(_ context.Context, req *ScaffoldRequest) (*ScaffoldResponse, error) {
	if b.Template == nil {
		return nil, fmt.Errorf("the %s LangPack has no template", b.InfoResponse.Name)
	}
	template := b.Template
	if b.TemplateDir != "" {
		sub, err := fs.Sub(template, b.TemplateDir)
		if err != nil {
			return nil, err
		}
		template = sub
	}
	return ScaffoldFS(template, req)
}
