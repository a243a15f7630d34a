package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2"

	"github.com/langserver/langserver/sdk"
	"github.com/langserver/langserver/supervisor/adapters"
	"github.com/langserver/langserver/supervisor/config"
)

// Options configures Load.
type Options struct {
	// ConfigPath is an HCL file or a folder of *.hcl files.
	ConfigPath string
	// PluginDir overrides the configuration's plugins.dir when set.
	PluginDir string
	// AdapterLogger receives the adapters' logs.
	AdapterLogger hclog.Logger
	// Diagnostics receives rendered configuration diagnostics.
	Diagnostics io.Writer
}

// ErrInvalidConfig is returned when the configuration has errors; they
// have been written to Options.Diagnostics.
var ErrInvalidConfig = errors.New("the configuration is not valid")

// Plan is a validated configuration with its adapters launched.
type Plan struct {
	Config  *config.Config
	Catalog *adapters.Catalog
	Set     *adapters.Set
	// LangPacks maps each algorithm block to its adapter.
	LangPacks map[*config.Algorithm]*adapters.Adapter
	// Settings holds each launched LangPack's settings, for relaunches.
	Settings map[string]map[string]string
}

// Kill stops every adapter of the plan.
func (p *Plan) Kill() { p.Set.Release() }

// Load reads and validates the configuration, launches the adapters it
// needs and sets them up with their settings. Every problem is reported
// as a diagnostic pointing into the configuration.
func Load(ctx context.Context, opts Options) (*Plan, error) {
	// A first pass finds the plugin folder, which the full check needs.
	first, _, _ := config.Load(opts.ConfigPath, config.Options{})
	pluginFlag := opts.PluginDir
	if pluginFlag == "" && first != nil {
		pluginFlag = first.PluginDir
	}
	dir, err := adapters.Dir(pluginFlag)
	if err != nil {
		return nil, err
	}
	catalog := adapters.NewCatalog(dir, opts.AdapterLogger)
	installed, err := catalog.Names()
	if err != nil {
		return nil, err
	}
	plan := &Plan{Catalog: catalog, Set: catalog.NewSet(), LangPacks: map[*config.Algorithm]*adapters.Adapter{}, Settings: map[string]map[string]string{}}
	cfg, files, diags := config.Load(opts.ConfigPath, config.Options{LangPacks: installed, Check: func(a *config.Algorithm) hcl.Diagnostics {
		return plan.check(ctx, a)
	}})
	plan.Config = cfg
	if !diags.HasErrors() {
		diags = append(diags, plan.setUp(ctx)...)
	}
	if len(diags) > 0 && files != nil {
		if err := files.WriteDiagnostics(opts.Diagnostics, diags, false); err != nil {
			return nil, err
		}
	}
	if diags.HasErrors() {
		plan.Kill()
		return nil, ErrInvalidConfig
	}
	return plan, nil
}

// check launches the adapter of an algorithm and checks that its folder
// has what that LangPack needs.
func (p *Plan) check(ctx context.Context, a *config.Algorithm) hcl.Diagnostics {
	adapter, err := p.Set.ForDir(ctx, a.Path, a.LangPack)
	if err != nil {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "No LangPack for this algorithm",
			Detail: err.Error(), Subject: a.LangPackRange.Ptr(),
		}}
	}
	p.LangPacks[a] = adapter
	missing, err := adapter.MissingFiles(a.Path)
	if err != nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid algorithm folder", Detail: err.Error(), Subject: a.PathRange.Ptr()}}
	}
	if len(missing) > 0 {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Incomplete algorithm folder",
			Detail:  fmt.Sprintf("%s lacks %s, which the %s LangPack needs.", a.Path, strings.Join(missing, " and "), adapter.Name),
			Subject: a.PathRange.Ptr(),
		}}
	}
	return nil
}

// setUp stops the adapters no algorithm uses and sets the others up with
// their langpack block's settings.
func (p *Plan) setUp(ctx context.Context) hcl.Diagnostics {
	var diags hcl.Diagnostics
	used := make([]*adapters.Adapter, 0, len(p.LangPacks))
	for _, adapter := range p.LangPacks {
		used = append(used, adapter)
	}
	p.Set.Release(used...)
	for name, adapter := range p.Set.All() {
		settings := map[string]string{}
		if block, ok := p.Config.LangPacks[name]; ok {
			schema := make([]config.Setting, len(adapter.Info.Settings))
			for i, s := range adapter.Info.Settings {
				schema[i] = config.Setting{Name: s.Name, Type: s.Type, Required: s.Required}
			}
			var sdiags hcl.Diagnostics
			settings, sdiags = block.Settings(schema)
			diags = append(diags, sdiags...)
		}
		p.Settings[name] = settings
		resp, err := adapter.Setup(ctx, &sdk.SetupRequest{Settings: settings})
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "LangPack setup failed", Detail: fmt.Sprintf("the %s LangPack: %v", name, err)})
			continue
		}
		if !resp.Runtime.Found {
			// Its algorithms fail to load with this message; the rest serve.
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "LangPack runtime missing",
				Detail: fmt.Sprintf("the %s LangPack cannot run its algorithms: %s", name, resp.Runtime.Message)})
		}
	}
	return diags
}

// Listen binds the configured address, or override when set.
func Listen(cfg *config.Config, override string) (net.Listener, error) {
	addr := cfg.Server.Listen
	if override != "" {
		addr = override
	}
	return net.Listen("tcp", addr)
}
