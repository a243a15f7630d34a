package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/zclconf/go-cty/cty"
)

// The blocks of a file. Each block's body is decoded on its own, so that
// its diagnostics tell whether that block (and only it) is valid.
type fileBlocks struct {
	Servers    []*blockHeader     `hcl:"server,block"`
	Plugins    []*blockHeader     `hcl:"plugins,block"`
	Jobs       []*blockHeader     `hcl:"jobs,block"`
	LangPacks  []*labelledHeader  `hcl:"langpack,block"`
	Algorithms []*algorithmHeader `hcl:"algorithm,block"`
}

type blockHeader struct {
	DefRange hcl.Range `hcl:",def_range"`
	Body     hcl.Body  `hcl:",remain"`
}

type labelledHeader struct {
	Name      string    `hcl:"name,label"`
	NameRange hcl.Range `hcl:"name,label_range"`
	DefRange  hcl.Range `hcl:",def_range"`
	Body      hcl.Body  `hcl:",remain"`
}

type algorithmHeader struct {
	Label      string    `hcl:"owner/name,label"`
	LabelRange hcl.Range `hcl:"owner/name,label_range"`
	DefRange   hcl.Range `hcl:",def_range"`
	Body       hcl.Body  `hcl:",remain"`
}

// The block bodies hold cty values, not Go types: gohcl would convert a
// number to a string silently, and a wrong type is a mistake to report.
// A value is cty.NilVal when its attribute is absent; the Config structs
// are pre-filled with the defaults and only present values overwrite them.

type serverBody struct {
	Listen             cty.Value `hcl:"listen,optional"`
	ListenRange        hcl.Range `hcl:"listen,attr_value_range"`
	MaxBody            cty.Value `hcl:"max_body,optional"`
	MaxBodyRange       hcl.Range `hcl:"max_body,attr_value_range"`
	APIKeys            cty.Value `hcl:"api_keys,optional"`
	APIKeysRange       hcl.Range `hcl:"api_keys,attr_value_range"`
	ReadTimeout        cty.Value `hcl:"read_timeout,optional"`
	ReadTimeoutRange   hcl.Range `hcl:"read_timeout,attr_value_range"`
	ShutdownGrace      cty.Value `hcl:"shutdown_grace,optional"`
	ShutdownGraceRange hcl.Range `hcl:"shutdown_grace,attr_value_range"`
	MaxTimeout         cty.Value `hcl:"max_timeout,optional"`
	MaxTimeoutRange    hcl.Range `hcl:"max_timeout,attr_value_range"`
	MaxOutput          cty.Value `hcl:"max_output,optional"`
	MaxOutputRange     hcl.Range `hcl:"max_output,attr_value_range"`
	MaxResult          cty.Value `hcl:"max_result,optional"`
	MaxResultRange     hcl.Range `hcl:"max_result,attr_value_range"`
	DataDir            cty.Value `hcl:"data_dir,optional"`
	DataDirRange       hcl.Range `hcl:"data_dir,attr_value_range"`
}

type jobsBody struct {
	MaxQueued               cty.Value `hcl:"max_queued,optional"`
	MaxQueuedRange          hcl.Range `hcl:"max_queued,attr_value_range"`
	Retention               cty.Value `hcl:"retention,optional"`
	RetentionRange          hcl.Range `hcl:"retention,attr_value_range"`
	CallbackBackoffMin      cty.Value `hcl:"callback_backoff_min,optional"`
	CallbackBackoffMinRange hcl.Range `hcl:"callback_backoff_min,attr_value_range"`
	CallbackBackoffMax      cty.Value `hcl:"callback_backoff_max,optional"`
	CallbackBackoffMaxRange hcl.Range `hcl:"callback_backoff_max,attr_value_range"`
}

type callbackBody struct {
	URL              cty.Value `hcl:"url,optional"`
	URLRange         hcl.Range `hcl:"url,attr_value_range"`
	Secret           cty.Value `hcl:"secret,optional"`
	SecretRange      hcl.Range `hcl:"secret,attr_value_range"`
	MaxAttempts      cty.Value `hcl:"max_attempts,optional"`
	MaxAttemptsRange hcl.Range `hcl:"max_attempts,attr_value_range"`
}

type pluginsBody struct {
	Dir      cty.Value `hcl:"dir,attr"`
	DirRange hcl.Range `hcl:"dir,attr_value_range"`
}

type algorithmBody struct {
	LangPack         cty.Value     `hcl:"langpack,optional"`
	LangPackRange    hcl.Range     `hcl:"langpack,attr_value_range"`
	Path             cty.Value     `hcl:"path,attr"`
	PathRange        hcl.Range     `hcl:"path,attr_value_range"`
	Version          cty.Value     `hcl:"version,optional"`
	VersionRange     hcl.Range     `hcl:"version,attr_value_range"`
	Timeout          cty.Value     `hcl:"timeout,optional"`
	TimeoutRange     hcl.Range     `hcl:"timeout,attr_value_range"`
	LoadTimeout      cty.Value     `hcl:"load_timeout,optional"`
	LoadTimeoutRange hcl.Range     `hcl:"load_timeout,attr_value_range"`
	Env              cty.Value     `hcl:"env,optional"`
	EnvRange         hcl.Range     `hcl:"env,attr_value_range"`
	Queue            cty.Value     `hcl:"queue,optional"`
	QueueRange       hcl.Range     `hcl:"queue,attr_value_range"`
	MaxOutput        cty.Value     `hcl:"max_output,optional"`
	MaxOutputRange   hcl.Range     `hcl:"max_output,attr_value_range"`
	MaxResult        cty.Value     `hcl:"max_result,optional"`
	MaxResultRange   hcl.Range     `hcl:"max_result,attr_value_range"`
	Workers          *workersBody  `hcl:"workers,block"`
	Callback         *callbackBody `hcl:"callback,block"`
}

type workersBody struct {
	DefRange         hcl.Range `hcl:",def_range"`
	Min              cty.Value `hcl:"min,optional"`
	MinRange         hcl.Range `hcl:"min,attr_value_range"`
	Max              cty.Value `hcl:"max,optional"`
	MaxRange         hcl.Range `hcl:"max,attr_value_range"`
	IdleTimeout      cty.Value `hcl:"idle_timeout,optional"`
	IdleTimeoutRange hcl.Range `hcl:"idle_timeout,attr_value_range"`
	RestartDelay     cty.Value `hcl:"max_restart_delay,optional"`
	RestartDelayRng  hcl.Range `hcl:"max_restart_delay,attr_value_range"`
}

// loader accumulates the Config over the files, remembering what must be
// unique across them.
type loader struct {
	opts         Options
	ctx          *hcl.EvalContext
	cfg          *Config
	firstServer  *hcl.Range            // the first server block
	firstPlugins *hcl.Range            // the first plugins block
	firstJobs    *hcl.Range            // the first jobs block
	versions     map[string]*Algorithm // by "owner/name@version"
}

func (l *loader) file(body hcl.Body) hcl.Diagnostics {
	var blocks fileBlocks
	diags := gohcl.DecodeBody(body, l.ctx, &blocks)
	for _, b := range blocks.Servers {
		diags = append(diags, l.server(b)...)
	}
	for _, b := range blocks.Plugins {
		diags = append(diags, l.plugins(b)...)
	}
	for _, b := range blocks.Jobs {
		diags = append(diags, l.jobs(b)...)
	}
	for _, b := range blocks.LangPacks {
		diags = append(diags, l.langPack(b)...)
	}
	for _, b := range blocks.Algorithms {
		diags = append(diags, l.algorithm(b)...)
	}
	return diags
}

func duplicateBlock(typ string, first, second hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Duplicate %s block", typ),
		Detail:   fmt.Sprintf("Only one %s block is allowed, across all files. Another was defined at %s.", typ, at(first)),
		Subject:  second.Ptr(),
	}
}

// at names a position as file:line.
func at(r hcl.Range) string { return fmt.Sprintf("%s:%d", r.Filename, r.Start.Line) }

func (l *loader) server(b *blockHeader) hcl.Diagnostics {
	var diags hcl.Diagnostics
	// A duplicate is still decoded, for its own mistakes, but not used.
	s := defaultServer()
	target := &s
	if l.firstServer != nil {
		diags = append(diags, duplicateBlock("server", *l.firstServer, b.DefRange))
	} else {
		l.firstServer = b.DefRange.Ptr()
		target = &l.cfg.Server
	}

	var body serverBody
	diags = append(diags, gohcl.DecodeBody(b.Body, l.ctx, &body)...)
	if v, ok := stringValue(&diags, "listen", body.Listen, body.ListenRange); ok {
		if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid listen address",
				Detail:   fmt.Sprintf("listen = %q is not host:port: write an address such as \"0.0.0.0:9999\", \"127.0.0.1:8080\" or \":9999\".", v),
				Subject:  body.ListenRange.Ptr(),
			})
		} else {
			target.Listen = v
		}
	}
	if v, ok := sizeValue(&diags, "max_body", body.MaxBody, body.MaxBodyRange); ok {
		target.MaxBody = v
	}
	if v, ok := apiKeysValue(&diags, body.APIKeys, body.APIKeysRange); ok {
		target.APIKeys = v
	}
	if v, ok := durationValue(&diags, "read_timeout", body.ReadTimeout, body.ReadTimeoutRange, false); ok {
		target.ReadTimeout = v
	}
	if v, ok := durationValue(&diags, "shutdown_grace", body.ShutdownGrace, body.ShutdownGraceRange, true); ok {
		target.ShutdownGrace = v
	}
	if v, ok := durationValue(&diags, "max_timeout", body.MaxTimeout, body.MaxTimeoutRange, false); ok {
		target.MaxTimeout = v
	}
	if v, ok := sizeValue(&diags, "max_output", body.MaxOutput, body.MaxOutputRange); ok {
		target.MaxOutput = v
	}
	if v, ok := sizeValue(&diags, "max_result", body.MaxResult, body.MaxResultRange); ok {
		target.MaxResult = v
	}
	if v, ok := stringValue(&diags, "data_dir", body.DataDir, body.DataDirRange); ok {
		if dir, d := dataDir(v, body.DataDirRange); d != nil {
			diags = append(diags, d)
		} else {
			target.DataDir = dir
		}
	}
	return diags
}

// dataDir resolves the data_dir v: it need not exist yet, but if it
// does it must be a folder.
func dataDir(v string, r hcl.Range) (string, *hcl.Diagnostic) {
	if v == "" {
		return "", emptyValue("data_dir", r)
	}
	dir, _ := resolve(v, r)
	if info, err := os.Stat(dir); err == nil && !info.IsDir() {
		return "", pathError("Invalid data folder", r, "data_dir %q is a file, not a folder; the job store is created inside it.", v)
	}
	return dir, nil
}

func (l *loader) jobs(b *blockHeader) hcl.Diagnostics {
	var diags hcl.Diagnostics
	j := defaultJobs()
	target := &j
	if l.firstJobs != nil {
		diags = append(diags, duplicateBlock("jobs", *l.firstJobs, b.DefRange))
	} else {
		l.firstJobs = b.DefRange.Ptr()
		target = &l.cfg.Jobs
	}

	var body jobsBody
	diags = append(diags, gohcl.DecodeBody(b.Body, l.ctx, &body)...)
	if v, ok := intValue(&diags, "max_queued", body.MaxQueued, body.MaxQueuedRange); ok {
		if v < 1 {
			diags = append(diags, outOfRange("max_queued", v, "must be 1 or more", body.MaxQueuedRange))
		} else {
			target.MaxQueued = v
		}
	}
	if v, ok := durationValue(&diags, "retention", body.Retention, body.RetentionRange, false); ok {
		target.Retention = v
	}
	minSet, maxSet := false, false
	if v, ok := durationValue(&diags, "callback_backoff_min", body.CallbackBackoffMin, body.CallbackBackoffMinRange, false); ok {
		target.CallbackBackoffMin, minSet = v, true
	}
	if v, ok := durationValue(&diags, "callback_backoff_max", body.CallbackBackoffMax, body.CallbackBackoffMaxRange, false); ok {
		target.CallbackBackoffMax, maxSet = v, true
	}
	if target.CallbackBackoffMin > target.CallbackBackoffMax && !diags.HasErrors() {
		subject, detail := body.CallbackBackoffMinRange, fmt.Sprintf("callback_backoff_min = %s is longer than callback_backoff_max = %s", target.CallbackBackoffMin, target.CallbackBackoffMax)
		switch {
		case !maxSet:
			detail += " (the default)"
		case !minSet:
			subject, detail = body.CallbackBackoffMaxRange, fmt.Sprintf("callback_backoff_max = %s is shorter than callback_backoff_min = %s (the default)", target.CallbackBackoffMax, target.CallbackBackoffMin)
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid callback backoff",
			Detail:   detail + "; the minimum must not exceed the maximum.",
			Subject:  subject.Ptr(),
		})
	}
	return diags
}

func (l *loader) plugins(b *blockHeader) hcl.Diagnostics {
	var diags hcl.Diagnostics
	first := l.firstPlugins == nil
	if first {
		l.firstPlugins = b.DefRange.Ptr()
	} else {
		diags = append(diags, duplicateBlock("plugins", *l.firstPlugins, b.DefRange))
	}

	var body pluginsBody
	diags = append(diags, gohcl.DecodeBody(b.Body, l.ctx, &body)...)
	v, ok := stringValue(&diags, "dir", body.Dir, body.DirRange)
	if !ok {
		return diags
	}
	if dir, d := folder("dir", "Plugin folder", v, body.DirRange); d != nil {
		diags = append(diags, d)
	} else if first {
		l.cfg.PluginDir = dir
	}
	return diags
}

func (l *loader) langPack(b *labelledHeader) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if d := l.unknownLangPack(b.Name, b.NameRange); d != nil {
		diags = append(diags, d)
	}
	if first, ok := l.cfg.LangPacks[b.Name]; ok {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Duplicate langpack block",
			Detail:   fmt.Sprintf("Only one langpack %q block is allowed, across all files. Another was defined at %s.", b.Name, at(first.DeclRange)),
			Subject:  b.DefRange.Ptr(),
		})
		return diags
	}
	l.cfg.LangPacks[b.Name] = &LangPack{Name: b.Name, Body: b.Body, DeclRange: b.DefRange, ctx: l.ctx}
	return diags
}

// unknownLangPack reports a LangPack name that is not installed, when the
// caller listed the installed ones.
func (l *loader) unknownLangPack(name string, r hcl.Range) *hcl.Diagnostic {
	installed := l.opts.LangPacks
	if installed == nil || slices.Contains(installed, name) {
		return nil
	}
	detail := fmt.Sprintf("The langpack %q is not installed; none are.", name)
	if len(installed) > 0 {
		detail = fmt.Sprintf("The langpack %q is not installed; installed are %s.", name, strings.Join(installed, ", "))
	}
	if s := suggestion(name, installed); s != "" {
		detail += fmt.Sprintf(" Did you mean %q?", s)
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Unknown LangPack",
		Detail:   detail,
		Subject:  r.Ptr(),
	}
}

// ownerName matches an algorithm block's label. Each part is restricted to
// what is safe in a URL path segment and a file name.
var ownerName = regexp.MustCompile(`^([A-Za-z0-9_-]+)/([A-Za-z0-9_-]+)$`)

func (l *loader) algorithm(b *algorithmHeader) hcl.Diagnostics {
	var diags hcl.Diagnostics
	a := defaultAlgorithm()
	a.DeclRange = b.DefRange
	a.LangPackRange = b.DefRange

	if m := ownerName.FindStringSubmatch(b.Label); m != nil {
		a.Owner, a.Name = m[1], m[2]
	} else {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid algorithm name",
			Detail:   fmt.Sprintf("%q is not owner/name: write the owner and the algorithm's name separated by one slash, such as \"demo/hello\"; each part holds letters, digits, \"_\" and \"-\".", b.Label),
			Subject:  b.LabelRange.Ptr(),
		})
	}

	var body algorithmBody
	diags = append(diags, gohcl.DecodeBody(b.Body, l.ctx, &body)...)

	if v, ok := stringValue(&diags, "langpack", body.LangPack, body.LangPackRange); ok {
		a.LangPackRange = body.LangPackRange
		if v == "" {
			diags = append(diags, emptyValue("langpack", body.LangPackRange))
		} else if d := l.unknownLangPack(v, body.LangPackRange); d != nil {
			diags = append(diags, d)
		} else {
			a.LangPack = v
		}
	}

	a.PathRange = body.PathRange
	if body.Path != cty.NilVal && body.Path.IsNull() {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing algorithm folder",
			Detail:   "path is required; null is not a path.",
			Subject:  body.PathRange.Ptr(),
		})
	} else if v, ok := stringValue(&diags, "path", body.Path, body.PathRange); ok {
		if p, d := algorithmFolder(v, body.PathRange); d != nil {
			diags = append(diags, d)
		} else {
			a.Path = p
		}
	}

	if v, ok := stringValue(&diags, "version", body.Version, body.VersionRange); ok {
		if validVersion(v) {
			a.Version = v
		} else {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid version",
				Detail:   fmt.Sprintf("version = %q is not a semantic version: write major.minor.patch, three whole numbers such as \"1.0.0\" or \"2.13.1\".", v),
				Subject:  body.VersionRange.Ptr(),
			})
		}
	}
	if v, ok := durationValue(&diags, "timeout", body.Timeout, body.TimeoutRange, false); ok {
		a.Timeout = v
	}
	if v, ok := durationValue(&diags, "load_timeout", body.LoadTimeout, body.LoadTimeoutRange, false); ok {
		a.LoadTimeout = v
	}
	if v, ok := envValue(&diags, body.Env, body.EnvRange); ok {
		a.Env = v
	}
	if v, ok := intValue(&diags, "queue", body.Queue, body.QueueRange); ok {
		if v < 0 {
			diags = append(diags, outOfRange("queue", v, "must be 0 or more (0: no request waits for a busy worker)", body.QueueRange))
		} else {
			a.Queue = v
		}
	}
	if v, ok := sizeValue(&diags, "max_output", body.MaxOutput, body.MaxOutputRange); ok {
		a.MaxOutput = v
	}
	if v, ok := sizeValue(&diags, "max_result", body.MaxResult, body.MaxResultRange); ok {
		a.MaxResult = v
	}
	if body.Workers != nil {
		diags = append(diags, workers(&a.Workers, body.Workers)...)
	}
	if body.Callback != nil {
		var cdiags hcl.Diagnostics
		a.Callback, cdiags = callbackBlock(body.Callback)
		diags = append(diags, cdiags...)
	}

	if diags.HasErrors() {
		return diags
	}
	key := fmt.Sprintf("%s/%s@%s", a.Owner, a.Name, a.Version)
	if first, ok := l.versions[key]; ok {
		return append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Duplicate algorithm version",
			Detail: fmt.Sprintf("%s/%s version %s is already defined at %s; give one of them another version.",
				a.Owner, a.Name, a.Version, at(first.DeclRange)),
			Subject: b.DefRange.Ptr(),
		})
	}
	l.versions[key] = a
	l.cfg.Algorithms = append(l.cfg.Algorithms, a)
	if l.opts.Check != nil {
		diags = append(diags, l.opts.Check(a)...)
	}
	return diags
}

func workers(w *Workers, body *workersBody) hcl.Diagnostics {
	var diags hcl.Diagnostics
	minSet, maxSet := false, false
	if v, ok := intValue(&diags, "min", body.Min, body.MinRange); ok {
		if v < 0 {
			diags = append(diags, outOfRange("min", v, "must be 0 or more", body.MinRange))
		} else {
			w.Min, minSet = v, true
		}
	}
	if v, ok := intValue(&diags, "max", body.Max, body.MaxRange); ok {
		if v < 1 {
			diags = append(diags, outOfRange("max", v, "must be 1 or more", body.MaxRange))
		} else {
			w.Max, maxSet = v, true
		}
	}
	if v, ok := durationValue(&diags, "idle_timeout", body.IdleTimeout, body.IdleTimeoutRange, false); ok {
		w.IdleTimeout = v
	}
	if v, ok := durationValue(&diags, "max_restart_delay", body.RestartDelay, body.RestartDelayRng, false); ok {
		w.MaxRestartDelay = v
	}
	if w.Min > w.Max && !diags.HasErrors() {
		subject, detail := body.MinRange, fmt.Sprintf("min = %d is greater than max = %d", w.Min, w.Max)
		switch {
		case !maxSet:
			detail += " (the default)"
		case !minSet:
			subject, detail = body.MaxRange, fmt.Sprintf("max = %d is less than min = %d (the default)", w.Max, w.Min)
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid workers range",
			Detail:   detail + "; min must not exceed max.",
			Subject:  subject.Ptr(),
		})
	}
	return diags
}

// folder resolves the path v, the value of attribute name at r, and checks
// that it is a directory; what names the folder in summaries.
func folder(name, what, v string, r hcl.Range) (string, *hcl.Diagnostic) {
	if v == "" {
		return "", emptyValue(name, r)
	}
	dir, shown := resolve(v, r)
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", pathError(what+" not found", r, "%s %q does not exist (looked for %s, relative to the folder of this file).", name, v, shown)
	case err != nil:
		return "", pathError("Invalid "+strings.ToLower(what), r, "%s %q: %s.", name, v, err)
	case !info.IsDir():
		return "", pathError("Invalid "+strings.ToLower(what), r, "%s %q is not a directory.", name, v)
	}
	return dir, nil
}

// algorithmFolder resolves an algorithm's path and checks that it is a
// folder holding an algorithmia.conf.
func algorithmFolder(v string, r hcl.Range) (string, *hcl.Diagnostic) {
	dir, d := folder("path", "Algorithm folder", v, r)
	if d != nil {
		return "", d
	}
	conf, err := os.Stat(filepath.Join(dir, "algorithmia.conf"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", pathError("Invalid algorithm folder", r, "path %q has no algorithmia.conf; it must be the algorithm's folder, which holds its algorithmia.conf.", v)
	case err != nil:
		return "", pathError("Invalid algorithm folder", r, "path %q: %s.", v, err)
	case conf.IsDir():
		return "", pathError("Invalid algorithm folder", r, "path %q: its algorithmia.conf is a directory, not a file.", v)
	}
	return dir, nil
}

func pathError(summary string, r hcl.Range, format string, args ...any) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  r.Ptr(),
	}
}

// resolve makes a path from the configuration absolute, relative to the
// folder of the file that names it. shown is the path to put in messages:
// relative to the working directory when the file was named that way, so
// that messages do not depend on where the files are.
func resolve(p string, r hcl.Range) (abs, shown string) {
	shown = p
	if !filepath.IsAbs(p) {
		shown = filepath.Join(filepath.Dir(r.Filename), p)
	}
	abs, err := filepath.Abs(shown)
	if err != nil {
		abs = shown
	}
	return abs, shown
}

// validVersion reports whether v is major.minor.patch, whole numbers
// without leading zeros.
func validVersion(v string) bool {
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if p == "" || (len(p) > 1 && p[0] == '0') || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}

func callbackBlock(body *callbackBody) (*Callback, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	c := &Callback{MaxAttempts: defaultMaxAttempts}
	if v, ok := stringValue(&diags, "url", body.URL, body.URLRange); ok {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid callback URL",
				Detail:   fmt.Sprintf("url = %q is not an absolute http or https URL, such as \"https://example.com/hooks/langserver\".", v),
				Subject:  body.URLRange.Ptr(),
			})
		} else {
			c.URL = v
		}
	}
	if v, ok := stringValue(&diags, "secret", body.Secret, body.SecretRange); ok {
		if v == "" {
			diags = append(diags, emptyValue("secret", body.SecretRange))
		}
		c.Secret = v
	}
	if v, ok := intValue(&diags, "max_attempts", body.MaxAttempts, body.MaxAttemptsRange); ok {
		if v < 1 || v > 100 {
			diags = append(diags, outOfRange("max_attempts", v, "must be from 1 to 100", body.MaxAttemptsRange))
		} else {
			c.MaxAttempts = v
		}
	}
	return c, diags
}
