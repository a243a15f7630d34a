package config

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// Config is a loaded configuration.
type Config struct {
	// Server is the HTTP server's settings, defaults when there is no
	// server block.
	Server Server
	// PluginDir is the absolute folder of the plugins block's dir, "" when
	// there is no plugins block.
	PluginDir string
	// LangPacks holds the langpack blocks by name; a LangPack with no block
	// has no entry.
	LangPacks map[string]*LangPack
	// Jobs configures the asynchronous calls; defaults without a jobs
	// block.
	Jobs Jobs
	// Algorithms are the algorithm blocks in file order (files in name
	// order when loading a folder).
	Algorithms []*Algorithm
}

// Server is the server block.
type Server struct {
	// Listen is the address to listen on, host:port. Default "0.0.0.0:9999".
	Listen string
	// MaxBody is the largest request body in bytes, > 0. Default 10MiB.
	MaxBody int64
	// APIKeys are the keys a request may present; none (the default) turns
	// authentication off.
	APIKeys []string
	// ReadTimeout bounds reading a request, > 0. Default 60s.
	ReadTimeout time.Duration
	// ShutdownGrace is how long shutdown waits for requests in flight, >= 0.
	// Default 30s.
	ShutdownGrace time.Duration
	// MaxTimeout caps the ?timeout= a request may ask for, > 0.
	// Default 3000s.
	MaxTimeout time.Duration
	// MaxOutput bounds the stdout and stderr captured per request, > 0;
	// an algorithm's max_output overrides it. Default 1MiB.
	MaxOutput int64
	// MaxResult bounds one response of a runner, > 0; an algorithm's
	// max_result overrides it. Default 15MiB.
	MaxResult int64
	// DataDir is the folder of the job store, created on first use.
	// Default "data", relative to the working directory; a value in a file
	// is absolute, resolved against that file's folder.
	DataDir string
}

// Jobs is the jobs block: the asynchronous calls (output=void).
type Jobs struct {
	// MaxQueued bounds the jobs waiting to run, >= 1. Default 10000.
	MaxQueued int
	// Retention is how long a finished job is kept, > 0. Default 24h.
	Retention time.Duration
	// CallbackBackoffMin and CallbackBackoffMax bound the wait between two
	// tries of a callback, > 0 and min <= max. Defaults 1s and 5m.
	CallbackBackoffMin time.Duration
	CallbackBackoffMax time.Duration
}

// Callback is an algorithm's callback block: where and how the results
// of its asynchronous calls are delivered.
type Callback struct {
	// URL receives the results of calls that name no X-Callback-Url; an
	// absolute http or https URL. Default none.
	URL string
	// Secret, when set, signs every delivery (HMAC-SHA256 of the body),
	// those to an X-Callback-Url included. Default none.
	Secret string
	// MaxAttempts bounds the tries of one delivery, 1 to 100. Default 10.
	MaxAttempts int
}

// Algorithm is an algorithm block: one version of owner/name served from
// the folder at Path.
type Algorithm struct {
	// Owner and Name come from the block's "owner/name" label.
	Owner, Name string
	// LangPack names the LangPack that runs the algorithm. It is "" when the
	// block has no langpack attribute: the caller then takes the "language"
	// of the folder's algorithmia.conf.
	LangPack string
	// Path is the absolute algorithm folder; it holds an algorithmia.conf.
	// Required; relative to the folder of the file that names it.
	Path string
	// Version is the semantic version major.minor.patch. Default "1.0.0".
	Version string
	// Timeout bounds one call, > 0. Default 300s.
	Timeout time.Duration
	// LoadTimeout bounds loading the algorithm in a new worker, > 0.
	// Default 5m.
	LoadTimeout time.Duration
	// Env is added to the environment of the algorithm's workers; empty by
	// default.
	Env map[string]string
	// Workers sizes the algorithm's pool of workers.
	Workers Workers
	// Queue is how many requests may wait for a busy worker, >= 0; a
	// request waiting for a worker being started does not count.
	// Default 64.
	Queue int
	// MaxOutput bounds the stdout and stderr captured per request, > 0.
	// Default: the server's max_output.
	MaxOutput int64
	// MaxResult bounds one response of a worker, > 0. Default: the
	// server's max_result.
	MaxResult int64
	// Callback is the callback block, nil when there is none.
	Callback *Callback

	// DeclRange is the block's header, for diagnostics about the whole
	// algorithm.
	DeclRange hcl.Range
	// LangPackRange is the langpack attribute's value, or DeclRange when the
	// attribute is absent.
	LangPackRange hcl.Range
	// PathRange is the path attribute's value.
	PathRange hcl.Range
}

// Workers is an algorithm's workers block.
type Workers struct {
	// Min is how many workers are kept running, 0 <= Min <= Max. Default 1.
	Min int
	// Max is the most workers that run at once, >= 1. Default 4.
	Max int
	// IdleTimeout is how long a worker above Min may stay idle, > 0.
	// Default 5m.
	IdleTimeout time.Duration
	// MaxRestartDelay caps the backoff between attempts to start a worker
	// that fails to load or keeps crashing, > 0. Default 30s.
	MaxRestartDelay time.Duration
}

// Options tunes Load.
type Options struct {
	// LookupEnv backs env("NAME"); default os.LookupEnv. env() of an unset
	// variable is an error diagnostic naming it.
	LookupEnv func(string) (string, bool)
	// LangPacks lists the installed LangPacks' names. When non-nil, a
	// langpack attribute or block naming another LangPack is an error
	// diagnostic listing these, with a suggestion when one is close.
	LangPacks []string
	// Check, when set, is called for each algorithm whose block decoded
	// without errors, to report what its LangPack needs (which only the
	// caller knows); its diagnostics are added to Load's.
	Check func(*Algorithm) hcl.Diagnostics
}

// The defaults, written down once; the fields' documentation repeats them.
const (
	defaultListen        = "0.0.0.0:9999"
	defaultMaxBody       = 10 << 20
	defaultReadTimeout   = 60 * time.Second
	defaultShutdownGrace = 30 * time.Second
	defaultVersion       = "1.0.0"
	defaultTimeout       = 300 * time.Second
	defaultLoadTimeout   = 5 * time.Minute
	defaultQueue         = 64
	defaultWorkersMin    = 1
	defaultWorkersMax    = 4
	defaultIdleTimeout   = 5 * time.Minute
	defaultRestartDelay  = 30 * time.Second
	defaultMaxTimeout    = 3000 * time.Second
	defaultMaxOutput     = 1 << 20
	defaultMaxResult     = 15 << 20
	defaultDataDir       = "data"
	defaultMaxQueued     = 10000
	defaultRetention     = 24 * time.Hour
	defaultBackoffMin    = time.Second
	defaultBackoffMax    = 5 * time.Minute
	defaultMaxAttempts   = 10
)

func defaultServer() Server {
	return Server{
		Listen:        defaultListen,
		MaxBody:       defaultMaxBody,
		ReadTimeout:   defaultReadTimeout,
		ShutdownGrace: defaultShutdownGrace,
		MaxTimeout:    defaultMaxTimeout,
		MaxOutput:     defaultMaxOutput,
		MaxResult:     defaultMaxResult,
		DataDir:       defaultDataDir,
	}
}

func defaultJobs() Jobs {
	return Jobs{
		MaxQueued:          defaultMaxQueued,
		Retention:          defaultRetention,
		CallbackBackoffMin: defaultBackoffMin,
		CallbackBackoffMax: defaultBackoffMax,
	}
}

func defaultAlgorithm() *Algorithm {
	return &Algorithm{
		Version:     defaultVersion,
		Timeout:     defaultTimeout,
		LoadTimeout: defaultLoadTimeout,
		Env:         map[string]string{},
		Workers: Workers{
			Min:             defaultWorkersMin,
			Max:             defaultWorkersMax,
			IdleTimeout:     defaultIdleTimeout,
			MaxRestartDelay: defaultRestartDelay,
		},
		Queue: defaultQueue,
	}
}

// Load reads the configuration at path: a file, or a folder whose *.hcl
// files are loaded together in name order. It returns the configuration,
// the parsed sources (to render the diagnostics) and every problem found.
// When the diagnostics hold errors, the Config is incomplete and must not
// be served; Files is never nil.
//
// A file with syntax errors is not decoded further, so that its broken
// structure does not cause misleading follow-on errors; the other files
// still are. The diagnostics are sorted by file and position.
func Load(path string, opts Options) (*Config, *Files, hcl.Diagnostics) {
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	files := &Files{parser: hclparse.NewParser()}
	l := &loader{
		opts: opts,
		ctx:  evalContext(opts.LookupEnv),
		cfg: &Config{
			Server:    defaultServer(),
			Jobs:      defaultJobs(),
			LangPacks: map[string]*LangPack{},
		},
		versions: map[string]*Algorithm{},
	}

	names, diags := configFiles(path)
	for _, name := range names {
		f, parseDiags := files.parser.ParseHCLFile(name)
		diags = append(diags, parseDiags...)
		if f == nil || parseDiags.HasErrors() {
			continue
		}
		diags = append(diags, l.file(f.Body)...)
	}
	// The server block may come after the algorithms that inherit from it.
	for _, a := range l.cfg.Algorithms {
		if a.MaxOutput == 0 {
			a.MaxOutput = l.cfg.Server.MaxOutput
		}
		if a.MaxResult == 0 {
			a.MaxResult = l.cfg.Server.MaxResult
		}
	}
	sortDiagnostics(diags)
	return l.cfg, files, diags
}

// configFiles lists the files to load: path itself, or the *.hcl files in
// the folder path, sorted by name.
func configFiles(path string) ([]string, hcl.Diagnostics) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read the configuration",
			Detail:   fmt.Sprintf("%s.", err),
		}}
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read the configuration",
			Detail:   fmt.Sprintf("%s.", err),
		}}
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".hcl") {
			names = append(names, filepath.Join(path, e.Name()))
		}
	}
	if len(names) == 0 {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "No configuration files",
			Detail:   fmt.Sprintf("The folder %s holds no *.hcl files.", path),
		}}
	}
	slices.Sort(names)
	return names, nil
}

// sortDiagnostics orders diags by file and position, those without a
// subject last, so that they read top to bottom and the order does not
// depend on map iteration inside hcl.
func sortDiagnostics(diags hcl.Diagnostics) {
	slices.SortStableFunc(diags, func(a, b *hcl.Diagnostic) int {
		switch {
		case a.Subject == nil && b.Subject == nil:
			return 0
		case a.Subject == nil:
			return 1
		case b.Subject == nil:
			return -1
		}
		if c := strings.Compare(a.Subject.Filename, b.Subject.Filename); c != 0 {
			return c
		}
		return a.Subject.Start.Byte - b.Subject.Start.Byte
	})
}
