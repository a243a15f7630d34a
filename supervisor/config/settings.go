package config

import (
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// LangPack is a langpack block: the settings of one LangPack. Load keeps
// its body undecoded, because the schema belongs to the LangPack's adapter;
// decode it with Settings.
type LangPack struct {
	// Name is the block's label, the LangPack's name.
	Name string
	// Body is the block's content.
	Body hcl.Body
	// DeclRange is the block's header.
	DeclRange hcl.Range

	ctx *hcl.EvalContext // Load's, so env() reads the same variables
}

// Setting is one setting a LangPack's adapter declares.
type Setting struct {
	// Name is the attribute's name in the langpack block.
	Name string
	// Type is "string", "bool" or "number".
	Type string
	// Required makes the attribute's absence an error.
	Required bool
}

// settingTypes maps a Setting's Type to the value it requires.
var settingTypes = map[string]cty.Type{"string": cty.String, "bool": cty.Bool, "number": cty.Number}

// Settings decodes the block against the schema the adapter declared and
// returns the values as plain strings: a bool as "true" or "false", a
// number in decimal ("3", "0.25"). An absent or null optional setting has
// no entry. Unknown attributes (with a suggestion when one is close),
// nested blocks, missing required settings and wrong types are error
// diagnostics; so is a schema with an unknown type, a bug in the adapter.
//
// A nil LangPack stands for an absent block: every required setting is
// then reported missing.
func (l *LangPack) Settings(schema []Setting) (map[string]string, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	bodySchema := &hcl.BodySchema{}
	declared := map[string]bool{}
	for _, s := range schema {
		if _, ok := settingTypes[s.Type]; !ok || s.Name == "" || declared[s.Name] {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid LangPack settings schema",
				Detail: fmt.Sprintf("The LangPack adapter declares setting %q of type %q; each setting needs a unique name and a type of string, bool or number. This is a bug in the adapter.",
					s.Name, s.Type),
			})
			continue
		}
		declared[s.Name] = true
		bodySchema.Attributes = append(bodySchema.Attributes, hcl.AttributeSchema{Name: s.Name, Required: s.Required})
	}
	if diags.HasErrors() {
		return nil, diags
	}

	values := map[string]string{}
	if l == nil {
		for _, s := range schema {
			if s.Required {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Missing langpack block",
					Detail:   fmt.Sprintf("The LangPack requires the setting %q, but there is no langpack block for it.", s.Name),
				})
			}
		}
		return values, diags
	}

	body, ctx := l.Body, l.ctx
	if body == nil {
		body = hcl.EmptyBody()
	}
	if ctx == nil {
		ctx = evalContext(os.LookupEnv)
	}
	content, contentDiags := body.Content(bodySchema)
	diags = append(diags, contentDiags...)
	for _, s := range schema {
		attr := content.Attributes[s.Name]
		if attr == nil {
			continue // a missing required setting is among contentDiags
		}
		v, valueDiags := attr.Expr.Value(ctx)
		diags = append(diags, valueDiags...)
		if !v.IsWhollyKnown() {
			continue
		}
		if v.IsNull() {
			if s.Required {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Missing required argument",
					Detail:   fmt.Sprintf("The %s LangPack requires the setting %q; null is no value.", l.Name, s.Name),
					Subject:  attr.Expr.Range().Ptr(),
				})
			}
			continue
		}
		want := settingTypes[s.Type]
		if !v.Type().Equals(want) {
			diags = append(diags, wrongType(s.Name, "a "+s.Type, v, attr.Expr.Range()))
			continue
		}
		switch want {
		case cty.String:
			values[s.Name] = v.AsString()
		case cty.Bool:
			values[s.Name] = fmt.Sprint(v.True())
		case cty.Number:
			values[s.Name] = v.AsBigFloat().Text('f', -1)
		}
	}
	sortDiagnostics(diags)
	return values, diags
}
