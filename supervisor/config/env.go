package config

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// evalContext is the only context expressions are evaluated in: no
// variables, one function, env.
func evalContext(lookup func(string) (string, bool)) *hcl.EvalContext {
	return &hcl.EvalContext{
		Functions: map[string]function.Function{"env": envFunc(lookup)},
	}
}

// envFunc is env("NAME"), the value of the supervisor's environment
// variable NAME. An unset variable is an error rather than "", so that a
// forgotten export does not turn into an empty API key or setting. Its
// parameter is dynamic so that env(5) is reported instead of converted.
func envFunc(lookup func(string) (string, bool)) function.Function {
	return function.New(&function.Spec{
		Description: "Returns the value of an environment variable of the supervisor; an unset variable is an error.",
		Params:      []function.Parameter{{Name: "name", Type: cty.DynamicPseudoType}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			arg := args[0]
			if !arg.Type().Equals(cty.String) {
				return cty.NilVal, function.NewArgErrorf(0, "env takes the name of an environment variable as a string, such as env(\"TOKEN\"), not %s", typeName(arg))
			}
			name := arg.AsString()
			if name == "" {
				return cty.NilVal, function.NewArgErrorf(0, "the name of the environment variable is empty")
			}
			v, ok := lookup(name)
			if !ok {
				return cty.NilVal, function.NewArgErrorf(0, "the environment variable %q is not set; set it in the supervisor's environment", name)
			}
			return cty.StringVal(v), nil
		},
	})
}
