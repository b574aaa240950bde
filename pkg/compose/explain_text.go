package compose

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// WriteText writes the explanation for people: a heading with the final
// value (or, for a map or a list, the value after the steps), then one line
// per step, each where it is written:
//
//	Deployment.apps identity/keycloak spec.replicas in environment production: 3
//	  katalog/identity/keycloak.yaml:15:13: set to 1 (source "base")
//	  environments/production/keycloak.yaml:7:13: changed 1 -> 3 (source "./environments/production")
func (x *Explanation) WriteText(w io.Writer) error {
	var b bytes.Buffer
	b.WriteString(x.Manifest.String())
	if x.Path != "" {
		b.WriteString(" " + x.Path)
	}
	b.WriteString(" in environment " + x.Environment)
	block := x.Exists && isContainer(x.Value) && !isEmpty(x.Value)
	switch {
	case !x.Exists:
		b.WriteString(": (absent)\n")
	case block:
		b.WriteString("\n")
	default:
		b.WriteString(": " + show(x.Value) + "\n")
	}
	for _, s := range x.Steps {
		b.WriteString("  ")
		switch {
		case s.File != "":
			b.WriteString(s.File)
			if s.Line > 0 {
				b.WriteString(":" + strconv.Itoa(s.Line) + ":" + strconv.Itoa(s.Column))
			}
			b.WriteString(": ")
		case s.Source != "" && s.Source != "policy": // a policy's step says so
			b.WriteString(s.Source + ": ")
		}
		if s.Path != x.Path {
			b.WriteString(s.Path + ": ")
		}
		b.WriteString(s.text())
		switch {
		case s.Source == "schema" && s.File != "":
			b.WriteString(" (the schema of " + x.APIVersion + " " + x.Manifest.Kind + ")")
		case s.Source != "" && s.Source != "schema" && s.Source != "policy":
			fmt.Fprintf(&b, " (source %q)", s.Source)
		}
		b.WriteString("\n")
	}
	if block {
		data, err := yamlBlock(x.Value)
		if err != nil {
			return err
		}
		b.WriteString("value:\n")
		for _, line := range strings.SplitAfter(strings.TrimSuffix(string(data), "\n"), "\n") {
			b.WriteString("  " + line)
		}
		b.WriteString("\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}

// text says what a step did, without where.
func (s Step) text() string {
	switch s.Action {
	case "added":
		return "added"
	case "set":
		return "set to " + show(s.Value)
	case "unchanged":
		return "set to " + show(s.Value) + ", unchanged"
	case "changed", "completed", "policy":
		verb := "changed"
		switch s.Action {
		case "completed":
			verb = "completed by the schema:"
		case "policy":
			verb = "changed by a policy:"
			if s.Previous == nil && isContainer(s.Value) {
				return "defined by a policy"
			}
			if s.Previous == nil {
				return "set by a policy to " + show(s.Value)
			}
		}
		if s.Previous == nil {
			return "set to " + show(s.Value)
		}
		if s.Value == nil {
			return "deleted, was " + show(s.Previous)
		}
		return verb + " " + show(s.Previous) + " -> " + show(s.Value)
	case "deleted":
		return "deleted, was " + show(s.Previous)
	case "replaced":
		return "replaced, was " + show(s.Previous)
	case "template":
		return "template " + show(s.Previous) + " -> " + show(s.Value)
	case "domain":
		if sameValue(s.Previous, s.Value) {
			return "domain map: " + s.Template + " " + show(s.Value)
		}
		return "domain map: " + s.Template + " " + show(s.Previous) + " -> " + show(s.Value)
	case "default":
		return "default " + show(s.Value)
	}
	return s.Action
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}

// yamlBlock writes v as YAML, keys sorted, indented by two spaces.
func yamlBlock(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteJSON writes the explanation as one indented JSON document (the
// fields are documented on Explanation and Step).
func (x *Explanation) WriteJSON(w io.Writer) error {
	if x.Steps == nil {
		x.Steps = []Step{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(x)
}
