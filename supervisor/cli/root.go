package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"

	"github.com/langserver/langserver/supervisor/adapters"
	"github.com/langserver/langserver/supervisor/standalone"
)

// Version is langserver's version, set at build time.
var Version = "dev"

// globals are the flags every command shares.
type globals struct {
	pluginDir string
	logLevel  string
	logJSON   bool
}

func (g *globals) logger() hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       "langserver",
		Level:      hclog.LevelFromString(g.logLevel),
		JSONFormat: g.logJSON,
		Output:     os.Stderr,
	})
}

func (g *globals) catalog(logger hclog.Logger) (*adapters.Catalog, error) {
	dir, err := adapters.Dir(g.pluginDir)
	if err != nil {
		return nil, err
	}
	return adapters.NewCatalog(dir, logger), nil
}

// NewRoot returns the langserver command.
func NewRoot() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "langserver",
		Short:         "Serve algorithms written in many languages behind one HTTP API",
		Version:       Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.pluginDir, "plugin-dir", "", "folder of LangPack adapters (default: $"+adapters.EnvPluginDir+", else plugins/ next to the langserver binary)")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: trace, debug, info, warn, error")
	root.PersistentFlags().BoolVar(&g.logJSON, "log-json", false, "log JSON lines")
	root.AddCommand(newRunCommand(g))
	return root
}

// Execute runs the command line and returns the process exit status.
func Execute() int {
	err := NewRoot().Execute()
	if err == nil {
		return 0
	}
	var exit *standalone.ExitError
	if errors.As(err, &exit) {
		fmt.Fprintln(os.Stderr, "langserver:", exit.Reason)
		return exit.Code
	}
	fmt.Fprintln(os.Stderr, "langserver:", err)
	return 1
}
