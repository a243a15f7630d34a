package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/langserver/langserver/supervisor/serve"
)

func newServeCommand(g *globals) *cobra.Command {
	var configPath, listen string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve every algorithm of an HCL configuration through the Algorithmia API",
		Long: `Serve every algorithm of an HCL configuration (a file, or a folder of *.hcl
files) through the Algorithmia algorithm API: POST /v1/algo/{owner}/{name}[/{version}],
GET /v1/algorithms, GET /healthz and GET /readyz. The configuration is checked
first; its diagnostics point at the lines to fix. SIGHUP or POST /-/reload loads
it again: a valid one is applied without failing a request, an invalid one is
refused and the old one keeps serving. SIGTERM or SIGINT drains and exits.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			plan, err := loadPlan(cmd, g, configPath)
			if err != nil {
				return err
			}
			listener, err := serve.Listen(plan.Config, listen)
			if err != nil {
				plan.Kill()
				return err
			}
			return serve.Run(cmd.Context(), loadOptions(cmd, g, configPath), plan, listener, g.logger())
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "configs", "HCL configuration file or folder")
	cmd.Flags().StringVar(&listen, "listen", "", "address to listen on, instead of server.listen")
	return cmd
}

func newValidateCommand(g *globals) *cobra.Command {
	var configPath string
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check an HCL configuration and print every problem with its file, line and column",
		Long: `Check an HCL configuration the way serve does, without serving: syntax, every
attribute and block, values, paths, and each LangPack (installed, runtime found,
settings). Exits 1 when there are errors.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			plan, err := loadPlan(cmd, g, configPath)
			if err != nil {
				return err
			}
			plan.Kill()
			fmt.Fprintf(cmd.OutOrStdout(), "%s: valid (%d algorithms)\n", configPath, len(plan.Config.Algorithms))
			return nil
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "configs", "HCL configuration file or folder")
	return cmd
}

// loadPlan loads and checks the configuration, printing its diagnostics.
func loadPlan(cmd *cobra.Command, g *globals, configPath string) (*serve.Plan, error) {
	if _, err := os.Stat(configPath); err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	plan, err := serve.Load(cmd.Context(), loadOptions(cmd, g, configPath))
	if errors.Is(err, serve.ErrInvalidConfig) {
		return nil, fmt.Errorf("%s: %w", configPath, err)
	}
	return plan, err
}

// loadOptions are the options serve.Load is given, at start-up and on
// each reload.
func loadOptions(cmd *cobra.Command, g *globals, configPath string) serve.Options {
	return serve.Options{
		ConfigPath:    configPath,
		PluginDir:     g.pluginDir,
		AdapterLogger: g.adapterLogger(),
		Diagnostics:   cmd.ErrOrStderr(),
	}
}
