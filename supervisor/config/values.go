package config

import (
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/langserver/langserver/supervisor/units"
	"github.com/zclconf/go-cty/cty"
)

// The value helpers below turn an attribute's cty value into a Go value,
// appending a diagnostic at r when it does not fit. They return ok=false
// when there is no value to use: the attribute is absent or null (leaving
// the pre-filled default), its evaluation already failed (and was
// reported), or it is invalid (reported here).

func present(v cty.Value) bool {
	return v != cty.NilVal && v.IsWhollyKnown() && !v.IsNull()
}

func stringValue(diags *hcl.Diagnostics, name string, v cty.Value, r hcl.Range) (string, bool) {
	return typedString(diags, name, "a string", v, r)
}

func typedString(diags *hcl.Diagnostics, name, want string, v cty.Value, r hcl.Range) (string, bool) {
	if !present(v) {
		return "", false
	}
	if !v.Type().Equals(cty.String) {
		*diags = append(*diags, wrongType(name, want, v, r))
		return "", false
	}
	return v.AsString(), true
}

func wrongType(name, want string, v cty.Value, r hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Incorrect attribute value type",
		Detail:   fmt.Sprintf("%s must be %s, not %s.", name, want, typeName(v)),
		Subject:  r.Ptr(),
	}
}

// typeName names a value's type as the configuration's author wrote it.
func typeName(v cty.Value) string {
	t := v.Type()
	switch {
	case v.IsNull():
		return "null"
	case t == cty.String:
		return "a string"
	case t == cty.Number:
		return "a number"
	case t == cty.Bool:
		return "a bool"
	case t.IsTupleType() || t.IsListType() || t.IsSetType():
		return "a list"
	case t.IsObjectType() || t.IsMapType():
		return "a map"
	}
	return t.FriendlyName()
}

func emptyValue(name string, r hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Empty value",
		Detail:   fmt.Sprintf("%s must not be empty.", name),
		Subject:  r.Ptr(),
	}
}

func outOfRange(name string, v int, rule string, r hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Value out of range",
		Detail:   fmt.Sprintf("%s = %d: %s.", name, v, rule),
		Subject:  r.Ptr(),
	}
}

func intValue(diags *hcl.Diagnostics, name string, v cty.Value, r hcl.Range) (int, bool) {
	if !present(v) {
		return 0, false
	}
	if !v.Type().Equals(cty.Number) {
		*diags = append(*diags, wrongType(name, "a whole number", v, r))
		return 0, false
	}
	f := v.AsBigFloat()
	n, acc := f.Int64()
	problem := ""
	switch {
	case !f.IsInt():
		problem = "is not a whole number"
	case acc != big.Exact || n != int64(int32(n)):
		problem = "is too large"
	default:
		return int(n), true
	}
	*diags = append(*diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Invalid number",
		Detail:   fmt.Sprintf("%s = %s %s.", name, f.Text('f', -1), problem),
		Subject:  r.Ptr(),
	})
	return 0, false
}

// durationValue reads a duration string such as "30s"; it must be greater
// than zero, or not negative when allowZero.
func durationValue(diags *hcl.Diagnostics, name string, v cty.Value, r hcl.Range, allowZero bool) (time.Duration, bool) {
	s, ok := typedString(diags, name, `a duration string such as "30s"`, v, r)
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(strings.TrimSpace(s))
	rule := ""
	switch {
	case err != nil:
		*diags = append(*diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid duration",
			Detail:   fmt.Sprintf("%s = %q is not a duration: write a number and a unit, such as \"300s\", \"5m\" or \"1h30m\"; the units are ms, s, m and h.", name, s),
			Subject:  r.Ptr(),
		})
		return 0, false
	case allowZero && d < 0:
		rule = "must not be negative"
	case !allowZero && d <= 0:
		rule = "must be greater than zero"
	default:
		return d, true
	}
	*diags = append(*diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Invalid duration",
		Detail:   fmt.Sprintf("%s = %q: the duration %s.", name, s, rule),
		Subject:  r.Ptr(),
	})
	return 0, false
}

// sizeValue reads a size string such as "10MiB"; it must be greater than
// zero.
func sizeValue(diags *hcl.Diagnostics, name string, v cty.Value, r hcl.Range) (int64, bool) {
	s, ok := typedString(diags, name, `a size string such as "10MiB"`, v, r)
	if !ok {
		return 0, false
	}
	n, err := units.ParseSize(s)
	switch {
	case err != nil:
		*diags = append(*diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid size",
			Detail:   fmt.Sprintf("%s = %q is not a size: write a number with an optional unit, such as \"10MiB\", \"512KB\" or \"1024\" (bytes); the units are B, KB, MB, GB, KiB, MiB and GiB.", name, s),
			Subject:  r.Ptr(),
		})
		return 0, false
	case n <= 0: // also catches what ParseSize overflows into
		*diags = append(*diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid size",
			Detail:   fmt.Sprintf("%s = %q: the size must be at least one byte and fit in 63 bits.", name, s),
			Subject:  r.Ptr(),
		})
		return 0, false
	}
	return n, true
}

func apiKeysValue(diags *hcl.Diagnostics, v cty.Value, r hcl.Range) ([]string, bool) {
	if !present(v) {
		return nil, false
	}
	t := v.Type()
	if !t.IsTupleType() && !t.IsListType() {
		*diags = append(*diags, wrongType("api_keys", `a list of strings such as ["key1", env("KEY2")]`, v, r))
		return nil, false
	}
	keys := []string{}
	ok := true
	for i, el := range v.AsValueSlice() {
		switch {
		case el.IsNull() || !el.Type().Equals(cty.String):
			*diags = append(*diags, wrongType(fmt.Sprintf("api_keys[%d]", i), "a string", el, r))
			ok = false
		case el.AsString() == "":
			*diags = append(*diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Empty API key",
				Detail:   fmt.Sprintf("api_keys[%d] is empty; a key must not be, or requests without one would pass.", i),
				Subject:  r.Ptr(),
			})
			ok = false
		default:
			keys = append(keys, el.AsString())
		}
	}
	return keys, ok
}

func envValue(diags *hcl.Diagnostics, v cty.Value, r hcl.Range) (map[string]string, bool) {
	if !present(v) {
		return nil, false
	}
	t := v.Type()
	if !t.IsObjectType() && !t.IsMapType() {
		*diags = append(*diags, wrongType("env", `a map such as { NAME = "value" }`, v, r))
		return nil, false
	}
	env := map[string]string{}
	ok := true
	m := v.AsValueMap()
	for _, name := range slices.Sorted(maps.Keys(m)) {
		el := m[name]
		switch {
		case name == "" || strings.ContainsAny(name, "=\x00"):
			*diags = append(*diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid environment variable name",
				Detail:   fmt.Sprintf("env key %q is not a valid environment variable name: it must be non-empty, without \"=\".", name),
				Subject:  r.Ptr(),
			})
			ok = false
		case el.IsNull() || !el.Type().Equals(cty.String):
			*diags = append(*diags, wrongType(fmt.Sprintf("env[%q]", name), "a string (write numbers in quotes)", el, r))
			ok = false
		default:
			env[name] = el.AsString()
		}
	}
	return env, ok
}

// suggestion returns the first of options close to given, or "". The
// threshold is hcl's own, so that suggestions feel the same everywhere.
func suggestion(given string, options []string) string {
	for _, o := range options {
		if levenshtein.Distance(given, o, nil) < 3 {
			return o
		}
	}
	return ""
}
