package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"

	"github.com/langserver/langserver/supervisor/adapters"
)

// Version is langserver's version, set at build time.
var Version = "dev"

// globals are the flags every command shares.
type globals struct {
	pluginDir string
	logLevel  string
	logJSON   bool
}

func (g *globals) newLogger(level hclog.Level) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       "langserver",
		Level:      level,
		JSONFormat: g.logJSON,
		Output:     os.Stderr,
	})
}

func (g *globals) logger() hclog.Logger {
	return g.newLogger(hclog.LevelFromString(g.logLevel))
}

// adapterLogger is the adapters' logger: warn and above unless debug
// logging is on, since their start and exit notices are noise.
func (g *globals) adapterLogger() hclog.Logger {
	return g.newLogger(max(hclog.LevelFromString(g.logLevel), hclog.Warn))
}

// catalog returns the adapter catalog.
func (g *globals) catalog() (*adapters.Catalog, error) {
	dir, err := adapters.Dir(g.pluginDir)
	if err != nil {
		return nil, err
	}
	return adapters.NewCatalog(dir, g.adapterLogger()), nil
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
	root.AddCommand(newRunCommand(g), newNewCommand(g), newStepCommand(g, "build"), newStepCommand(g, "test"), newLangPacksCommand(g), newServeCommand(g), newValidateCommand(g))
	return root
}

// Execute runs the command line and returns the process exit status.
func Execute() int {
	err := NewRoot().Execute()
	if err == nil {
		return 0
	}
	fmt.Fprintln(os.Stderr, "langserver:", err)
	var exit interface{ ExitCode() int }
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	return 1
}
