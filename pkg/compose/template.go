package compose

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Env is what templates and policies know of the environment being built.
type Env struct {
	Name       string `json:"name"`
	Production bool   `json:"production"`
}

// templateError is a problem with a template at a path of a manifest.
type templateError struct {
	path   []string
	msg    string
	secret string // the undeclared secret the message is about, if any
}

// expand resolves templates and domain maps in a fully merged manifest, in
// place: $ENV, ${env.name}, ${env.production}, $$, and maps with exactly the
// keys default and environment under a domain key. ${secrets.NAME} stays as
// written; declared says which names may be used.
// It reports whether anything changed: a manifest that no template
// changes is the same in every environment.
func expand(v any, env Env, declared func(string) bool) (any, bool, []templateError) {
	t := expander{env: env, declared: declared}
	out, _ := t.value(v)
	return out, t.expanded, t.errs
}

type expander struct {
	env        Env
	declared   func(string) bool
	errs       []templateError
	path       []string // of the value being expanded; copied only for an error
	undeclared string   // the undeclared secret of the last error str returned
	expanded   bool     // some value changed
}

// value expands v and reports whether the result differs from v, so that
// maps and lists are written only where a template changed something.
func (t *expander) value(v any) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			t.path = append(t.path, k)
			if k == "domain" {
				if d, ok := e.(map[string]any); ok && isDomainMap(d) {
					pick := "environment"
					if t.env.Production {
						pick = "default"
					}
					t.path = append(t.path, pick)
					t.expanded = true
					x[k], _ = t.value(d[pick])
					t.path = t.path[:len(t.path)-2]
					continue
				}
			}
			if out, changed := t.value(e); changed {
				x[k] = out
			}
			t.path = t.path[:len(t.path)-1]
		}
		return x, false
	case []any:
		for i, e := range x {
			t.path = append(t.path, strconv.Itoa(i))
			if out, changed := t.value(e); changed {
				x[i] = out
			}
			t.path = t.path[:len(t.path)-1]
		}
		return v, false // v, not x: a list or string put back in an interface is a new allocation
	case string:
		if !strings.Contains(x, "$") {
			return v, false
		}
		t.undeclared = ""
		out, err := t.str(x)
		if err != "" {
			t.errs = append(t.errs, templateError{path: slices.Clone(t.path), msg: err, secret: t.undeclared})
		}
		if out != any(x) {
			t.expanded = true
		}
		return out, true
	}
	return v, false
}

func isDomainMap(m map[string]any) bool {
	if len(m) != 2 {
		return false
	}
	_, d := m["default"]
	_, e := m["environment"]
	return d && e
}

const productionRef = "${env.production}"

// str expands one string. It returns the value (a bool for a string that is
// exactly ${env.production}) and an error message, or "".
func (t *expander) str(s string) (any, string) {
	if s == productionRef {
		return t.env.Production, ""
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '$' {
			b.WriteByte(s[i])
			i++
			continue
		}
		rest := s[i+1:]
		switch {
		case strings.HasPrefix(rest, "$"):
			// $${secrets.NAME} writes ${secrets.NAME}, which a runtime
			// reads as a reference: NAME must be declared all the same.
			if ref, ok := strings.CutPrefix(rest[1:], "{secrets."); ok {
				if end := strings.IndexByte(ref, '}'); end >= 0 && !t.declared(ref[:end]) {
					t.undeclared = ref[:end]
					return s, fmt.Sprintf("$${secrets.%s} writes a reference to secret %q, which the Komposer's secrets do not declare", ref[:end], ref[:end])
				}
			}
			b.WriteByte('$')
			i += 2
		case strings.HasPrefix(rest, "ENV") && (len(rest) == 3 || !isWordByte(rest[3])):
			b.WriteString(t.env.Name)
			i += 4
		case strings.HasPrefix(rest, "{"):
			end := strings.IndexByte(rest, '}')
			if end < 0 {
				// ${env.name or ${secrets.X without its "}" would pass
				// into the bundle as written: a reference nobody resolves.
				for _, name := range []string{"{env.", "{secrets."} {
					if strings.HasPrefix(rest, name) {
						shown := rest
						if len(shown) > 40 {
							shown = shown[:40] + "…"
						}
						return s, fmt.Sprintf("unterminated template $%s: add the closing \"}\", or write $$%s to keep it as text", shown, rest[:len(name)])
					}
				}
				b.WriteByte('$') // not a reference; what follows may hold one
				i++
				continue
			}
			ref := rest[1:end]
			switch {
			case ref == "env.name":
				b.WriteString(t.env.Name)
			case ref == "env.production":
				fmt.Fprint(&b, t.env.Production)
			case strings.HasPrefix(ref, "env."):
				return s, fmt.Sprintf("unknown template ${%s}: the environment has only ${env.name} and ${env.production}", ref)
			case strings.HasPrefix(ref, "secrets."):
				name := strings.TrimPrefix(ref, "secrets.")
				if !t.declared(name) {
					t.undeclared = name
					return s, fmt.Sprintf("secret %q is not declared in the Komposer's secrets", name)
				}
				b.WriteString(s[i : i+2+end])
			default:
				b.WriteString(s[i : i+2+end])
			}
			i += 2 + end
		default:
			b.WriteByte('$')
			i++
		}
	}
	return b.String(), ""
}

func isWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
