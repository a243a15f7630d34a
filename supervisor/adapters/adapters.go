package adapters

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/langserver/langserver/sdk"
)

// EnvPluginDir names the environment variable that overrides where
// adapters are found.
const EnvPluginDir = "LANGSERVER_PLUGIN_DIR"

// BinaryPrefix starts the file name of every adapter: langpack-<name>.
const BinaryPrefix = "langpack-"

// PipeLangPack is the generic LangPack that runs an algorithm's own bin/pipe.
const PipeLangPack = "pipe"

// hostAPIVersions are the LangPack API versions this host speaks.
var hostAPIVersions = []uint32{sdk.APIVersion}

// ErrNotInstalled is returned for a LangPack with no adapter executable.
var ErrNotInstalled = errors.New("LangPack not installed")

// Dir resolves the adapter folder: flag when set, else $LANGSERVER_PLUGIN_DIR,
// else plugins/ next to the running executable.
func Dir(flag string) (string, error) {
	if flag != "" {
		return filepath.Abs(flag)
	}
	if env := os.Getenv(EnvPluginDir); env != "" {
		return filepath.Abs(env)
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("locating the langserver executable to find plugins/ beside it: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	return filepath.Join(filepath.Dir(exe), "plugins"), nil
}

// Catalog is a folder of adapter executables.
type Catalog struct {
	dir    string
	logger hclog.Logger
}

// NewCatalog returns the catalog of dir; adapters log through logger.
func NewCatalog(dir string, logger hclog.Logger) *Catalog {
	return &Catalog{dir: dir, logger: logger}
}

// Dir is the catalog's folder.
func (c *Catalog) Dir() string { return c.dir }

// Names lists the installed LangPacks, sorted.
func (c *Catalog) Names() ([]string, error) {
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return nil, fmt.Errorf("reading the plugin folder: %w", err)
	}
	var names []string
	for _, e := range entries {
		if name, ok := strings.CutPrefix(e.Name(), BinaryPrefix); ok && !e.IsDir() && name != "" {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// Adapter is a launched adapter whose API version has been agreed.
type Adapter struct {
	*sdk.Adapter
	// Name is the LangPack name the adapter was launched under.
	Name       string
	Info       *sdk.InfoResponse
	APIVersion uint32
}

// Launch starts the adapter of the LangPack name.
func (c *Catalog) Launch(ctx context.Context, name string) (*Adapter, error) {
	path := filepath.Join(c.dir, BinaryPrefix+name)
	if _, err := os.Stat(path); err != nil {
		installed, _ := c.Names()
		return nil, fmt.Errorf("%w: %q (no %s; installed in %s: %s)", ErrNotInstalled, name, path, c.dir, strings.Join(installed, ", "))
	}
	a, err := sdk.Launch(path, sdk.LaunchOptions{Logger: c.logger.Named(BinaryPrefix + name)})
	if err != nil {
		return nil, err
	}
	info, err := a.Info(ctx, &sdk.InfoRequest{HostAPIVersions: hostAPIVersions})
	if err != nil {
		a.Kill()
		return nil, fmt.Errorf("asking adapter %s for its info: %w", name, err)
	}
	v := sdk.NegotiateAPIVersion(hostAPIVersions, info.APIVersions)
	if v == 0 {
		a.Kill()
		return nil, fmt.Errorf("adapter %s speaks LangPack API versions %v, this langserver speaks %v", name, info.APIVersions, hostAPIVersions)
	}
	return &Adapter{Adapter: a, Name: name, Info: info, APIVersion: v}, nil
}

// Serves reports whether an algorithmia.conf language belongs to a
// LangPack that lists languages: an exact match, or a listed value followed
// by "-" or "." ("python3" serves "python3-1" and "python3.x").
func Serves(languages []string, language string) bool {
	language = strings.ToLower(strings.TrimSpace(language))
	for _, l := range languages {
		if rest, ok := strings.CutPrefix(language, strings.ToLower(l)); ok && (rest == "" || rest[0] == '-' || rest[0] == '.') {
			return true
		}
	}
	return false
}
