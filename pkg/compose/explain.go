package compose

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/orkdev/ork/pkg/manifest"
	"github.com/orkdev/ork/pkg/merge"
)

// Target names one manifest of a Katalog: KIND[.GROUP]/[NAMESPACE/]NAME.
type Target struct {
	Kind      string // matched without regard to case, as kubectl does
	Group     string // with HasGroup
	HasGroup  bool
	Namespace string // with HasNamespace
	// HasNamespace is false for KIND/NAME, which names a cluster-scoped
	// manifest or the only one of that kind and name in any namespace.
	HasNamespace bool
	Name         string
}

// ParseTarget reads KIND[.GROUP]/[NAMESPACE/]NAME, e.g.
// Deployment/identity/keycloak or Deployment.apps/identity/keycloak.
func ParseTarget(s string) (Target, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || slices.Contains(parts, "") {
		return Target{}, fmt.Errorf("manifest %q: want KIND/NAME or KIND/NAMESPACE/NAME (e.g. Deployment/identity/keycloak)", s)
	}
	var t Target
	t.Kind, t.Group, t.HasGroup = strings.Cut(parts[0], ".")
	if t.Kind == "" {
		return Target{}, fmt.Errorf("manifest %q: no kind before the group", s)
	}
	if len(parts) == 3 {
		t.Namespace, t.HasNamespace = parts[1], true
	}
	t.Name = parts[len(parts)-1]
	return t, nil
}

// String writes the target as ParseTarget reads it.
func (t Target) String() string {
	s := t.Kind
	if t.HasGroup {
		s += "." + t.Group
	}
	if t.HasNamespace {
		s += "/" + t.Namespace
	}
	return s + "/" + t.Name
}

// targetOf is how a user names a manifest on the command line.
func targetOf(id manifest.ID) string {
	if id.Namespace != "" {
		return id.Kind + "/" + id.Namespace + "/" + id.Name
	}
	return id.Kind + "/" + id.Name
}

// matches reports whether the manifest id is one the target may name.
func (t Target) matches(id manifest.ID) bool {
	return strings.EqualFold(id.Kind, t.Kind) && id.Name == t.Name &&
		(!t.HasGroup || id.Group == t.Group) &&
		(!t.HasNamespace || id.Namespace == t.Namespace)
}

// Explanation says where a value of one environment's Katalog came from:
// the final value, then each change to it in the order it was made. Its
// JSON form (ork explain --format json) is stable: fields are added, never
// renamed or removed, while format_version stays 1.
type Explanation struct {
	FormatVersion int         `json:"format_version"` // 1
	Environment   string      `json:"environment"`
	Manifest      manifest.ID `json:"manifest"`
	APIVersion    string      `json:"api_version"`
	// Path is the field explained, as ork diff writes it; "" for the
	// whole manifest.
	Path string `json:"path"`
	// Exists is false when the field is not in the final manifest (a
	// layer deleted it); Value is then absent.
	Exists bool `json:"exists"`
	Value  any  `json:"value,omitempty"`
	// Steps are the changes to the value and to the fields below it (and
	// the layers' changes to a field above it, such as its parent's
	// deletion), in order: the layers as merged, then the templates, the
	// schema's defaults and the policies.
	Steps []Step `json:"steps"`

	path FieldPath
}

// Mask replaces every value of the explanation with what mask makes of it,
// given the manifest and the value's path (as manifest.Doc.Position reads
// paths): ork explain hides what looks like a secret, as ork plan does.
func (x *Explanation) Mask(mask func(id manifest.ID, path []string, v any) any) {
	if x.Value != nil {
		x.Value = mask(x.Manifest, selectorsOf(x.path), x.Value)
	}
	for i := range x.Steps {
		s := &x.Steps[i]
		p := selectorsOf(s.path)
		if s.Value != nil {
			s.Value = mask(x.Manifest, p, s.Value)
		}
		if s.Previous != nil {
			s.Previous = mask(x.Manifest, p, s.Previous)
		}
		if s.Action == "template" && s.Template != "" {
			if t, ok := mask(x.Manifest, p, s.Template).(string); ok {
				s.Template = t
			}
		}
	}
}

// Step is one change to a value.
type Step struct {
	// Action is one of:
	//   added      a layer wrote the map or list at Path where there was none
	//   set        a layer wrote a value where there was none
	//   changed    a layer wrote another value than the one there
	//   unchanged  a layer wrote the value that was already there
	//   deleted    a layer deleted it (key: null, or $patch: delete)
	//   replaced   a layer discarded it instead of merging into it (a map
	//              over a scalar, or $patch: replace); what it wrote follows
	//   template   a template in it was expanded ($ENV, ${env.name}, …)
	//   domain     a domain map {default, environment} was resolved
	//   default    the kind's CUE schema filled it in
	//   completed  the kind's CUE schema changed it
	//   policy     a CUE policy of the Komposer changed or filled it in
	Action string `json:"action"`
	Path   string `json:"path"` // as ork diff writes it; "" for the manifest
	// Value is the value after the step (absent after deleted); Previous
	// the value before it, when there was one.
	Value    any `json:"value,omitempty"`
	Previous any `json:"previous,omitempty"`
	// Template is, for template, the string as written; for domain, the
	// key of the domain map chosen (default in production, else
	// environment).
	Template string `json:"template,omitempty"`
	// Where the step is written: a layer's file for the layers, templates
	// and domain maps, a schema's file for defaults.
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	// Source is the source or overlay of the layer, "schema" or "policy".
	Source string `json:"source,omitempty"`

	path FieldPath
}

// touched reports whether a step changed the field at path: at it or below
// it, or by deleting or replacing a value that held it.
func touched(steps []Step, path FieldPath) bool {
	for _, s := range steps {
		if hasPrefix(s.path, path) {
			return true
		}
		if hasPrefix(path, s.path) && (s.Action == "deleted" || s.Action == "replaced") {
			if _, ok := valueAt(s.Previous, path[len(s.path):]); ok {
				return true
			}
		}
	}
	return false
}

// Explain builds the one environment opts names, tracing the merge of the
// manifest target names, and explains the field at path of it (the whole
// manifest when path is empty). The build is the normal one (pins resolved
// as validate resolves them, nothing written) with the merge of that
// manifest traced.
func Explain(ctx context.Context, opts Options, target Target, path FieldPath) (*Explanation, error) {
	if len(opts.Environments) != 1 || opts.Ephemeral != nil {
		return nil, errors.New("explain: exactly one declared environment")
	}
	if name := opts.Environments[0]; opts.Komposer != nil {
		if _, ok := opts.Komposer.Environment(name); !ok {
			known := opts.Komposer.EnvironmentNames()
			msg := fmt.Sprintf("%s: unknown environment %q (known: %s)", opts.Komposer.Display, name, strings.Join(known, ", "))
			if close := closest(name, known, 3); len(close) > 0 {
				msg += "; the closest: " + strings.Join(close, ", ")
			}
			return nil, errors.New(msg)
		}
	}
	t := &tracer{target: target, byID: map[manifest.ID]*trace{}}
	opts.trace = t
	// Every step is traced from a real build, and explain writes nothing,
	// to the cache neither (a build keeps pieces and marks environments
	// built).
	opts.Results = nil
	var kat *Katalog
	if _, err := Walk(ctx, opts, func(_ int, k *Katalog) error { kat = k; return nil }); err != nil {
		return nil, err
	}
	id, err := pickManifest(kat, target)
	if err != nil {
		return nil, err
	}
	final := kat.byID[id].obj
	tr := t.byID[id]
	if tr == nil {
		tr = &trace{} // defined by a policy: no layer wrote it
	}
	path = normalize(path, final, tr.merged)
	x := &Explanation{FormatVersion: 1, Environment: kat.Env.Name, Manifest: id, Path: path.String(), path: path}
	x.APIVersion, _ = final["apiVersion"].(string)
	x.Value, x.Exists = valueAt(final, path)
	if !x.Exists {
		x.Value = nil
	}
	if len(tr.layers) == 0 && x.Exists {
		// No layer wrote the manifest: a policy defined it.
		s := Step{Action: "policy", Path: x.Path, Value: x.Value, Source: "policy", path: path}
		if pos, ok := opts.Validator.DefinedAt(kat.Env, id.Kind, policyKey(id)); ok {
			s.File, s.Line, s.Column = pos.File, pos.Line, pos.Col
		}
		x.Steps = append(x.Steps, s)
	}
	x.Steps = append(x.Steps, tr.layerSteps(path)...)
	x.Steps = append(x.Steps, tr.templateSteps(path, kat.Env.Production)...)
	x.Steps = append(x.Steps, tr.schemaSteps(path, x.APIVersion, id.Kind, opts.Validator.DefaultAt)...)
	x.Steps = append(x.Steps, changeSteps("policy", path, tr.completed, final, nil)...)
	if !x.Exists && !touched(x.Steps, path) {
		return nil, noField(kat.Env.Name, id, path, final)
	}
	return x, nil
}

// pickManifest finds the one manifest of kat that target names.
func pickManifest(kat *Katalog, target Target) (manifest.ID, error) {
	var found []manifest.ID
	for _, id := range kat.IDs {
		if target.matches(id) {
			found = append(found, id)
		}
	}
	if len(found) > 1 && !target.HasNamespace {
		// KIND/NAME names the cluster-scoped manifest first.
		var cluster []manifest.ID
		for _, id := range found {
			if id.Namespace == "" {
				cluster = append(cluster, id)
			}
		}
		if len(cluster) > 0 {
			found = cluster
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		names := make([]string, len(kat.IDs))
		for i, id := range kat.IDs {
			names[i] = targetOf(id)
		}
		msg := fmt.Sprintf("environment %s has no manifest %s", kat.Env.Name, target)
		close := closest(target.String(), names, 3)
		if len(close) == 0 {
			for i, id := range kat.IDs {
				if id.Name == target.Name {
					close = append(close, names[i])
				}
			}
			slices.Sort(close)
		}
		if len(close) > 0 {
			msg += "; the closest: " + strings.Join(close, ", ")
		}
		return manifest.ID{}, errors.New(msg)
	}
	var names []string
	for _, id := range found {
		t := targetOf(id)
		if id.Group != "" {
			t = id.Kind + "." + id.Group + strings.TrimPrefix(t, id.Kind)
		}
		names = append(names, t)
	}
	slices.Sort(names)
	return manifest.ID{}, fmt.Errorf("%s names %d manifests of environment %s: %s; name one", target, len(found), kat.Env.Name, strings.Join(names, ", "))
}

// noField is the error for a field that is in no stage of the manifest.
func noField(env string, id manifest.ID, path FieldPath, final map[string]any) error {
	// The deepest part of the path that exists, and what it holds.
	var parent any = final
	n := 0
	for ; n < len(path); n++ {
		v, ok := valueAt(parent, path[n:n+1])
		if !ok {
			break
		}
		parent = v
	}
	msg := fmt.Sprintf("%s has no field %s in environment %s", id, path, env)
	children := childSteps(parent)
	if len(children) == 0 {
		if n > 0 {
			msg += fmt.Sprintf("; %s is %s", path[:n], show(parent))
		}
		return errors.New(msg)
	}
	want := FieldPath{path[n]}.String()
	names := make([]string, len(children))
	byName := map[string]FieldPath{}
	for i, c := range children {
		names[i] = FieldPath{c}.String()
		byName[names[i]] = append(slices.Clip(path[:n]), c)
	}
	close := closest(want, names, 3)
	if len(close) == 0 {
		if n == 0 {
			return errors.New(msg + "; it has " + strings.Join(names, ", "))
		}
		return errors.New(msg + "; " + path[:n].String() + " has " + strings.Join(names, ", "))
	}
	for i, c := range close {
		close[i] = byName[c].String()
	}
	return errors.New(msg + "; the closest: " + strings.Join(close, ", "))
}

// childSteps lists the steps into v: its keys, its items by name when they
// all have one, else by index.
func childSteps(v any) []FieldStep {
	switch x := v.(type) {
	case map[string]any:
		var out []FieldStep
		for _, k := range slices.Sorted(maps.Keys(x)) {
			out = append(out, FieldStep{Key: k})
		}
		return out
	case []any:
		var out []FieldStep
		named := merge.Named(x)
		for i, item := range x {
			if named {
				out = append(out, FieldStep{Name: item.(map[string]any)["name"].(string), Named: true})
			} else {
				out = append(out, FieldStep{Index: i, Indexed: true})
			}
		}
		return out
	}
	return nil
}

// closest returns up to n of names nearest to want by edit distance, among
// those near enough to be a likely typo and those that start with want.
func closest(want string, names []string, n int) []string {
	type cand struct {
		name string
		d    int
	}
	var cands []cand
	limit := max(2, len(want)/3)
	lw := strings.ToLower(want)
	for _, name := range names {
		ln := strings.ToLower(name)
		d := editDistance(lw, ln)
		if d <= limit || want != "" && strings.HasPrefix(ln, lw) { // a typo, or cut short
			cands = append(cands, cand{name, d})
		}
	}
	slices.SortStableFunc(cands, func(a, b cand) int {
		if a.d != b.d {
			return a.d - b.d
		}
		return strings.Compare(a.name, b.name)
	})
	var out []string
	for _, c := range cands {
		if len(out) == n {
			break
		}
		if !slices.Contains(out, c.name) {
			out = append(out, c.name)
		}
	}
	return out
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// normalize rewrites [N] steps into lists merged by name as [name=NAME],
// the form the trace records, looking in the final manifest, else in the
// merged one.
func normalize(path FieldPath, values ...any) FieldPath {
	out := slices.Clone(path)
	for _, root := range values {
		v := root
		for i, s := range out {
			if l, ok := v.([]any); ok && s.Indexed && s.Index < len(l) && merge.Named(l) {
				out[i] = FieldStep{Name: l[s.Index].(map[string]any)["name"].(string), Named: true}
			}
			var ok bool
			if v, ok = valueAt(v, out[i:i+1]); !ok {
				break
			}
		}
	}
	return out
}

// valueAt returns the value at path within v.
func valueAt(v any, path FieldPath) (any, bool) {
	for _, s := range path {
		switch {
		case s.Named:
			l, _ := v.([]any)
			found := false
			for _, item := range l {
				if m, ok := item.(map[string]any); ok && m["name"] == s.Name {
					v, found = m, true
					break
				}
			}
			if !found {
				return nil, false
			}
		case s.Indexed:
			l, _ := v.([]any)
			if s.Index >= len(l) {
				return nil, false
			}
			v = l[s.Index]
		default:
			m, _ := v.(map[string]any)
			x, ok := m[s.Key]
			if !ok {
				return nil, false
			}
			v = x
		}
	}
	return v, v != nil
}

// fieldPath converts a merge path.
func fieldPath(p merge.Path) FieldPath {
	out := make(FieldPath, len(p))
	for i, s := range p {
		if s.Item {
			out[i] = FieldStep{Name: s.Name, Named: true}
		} else {
			out[i] = FieldStep{Key: s.Key}
		}
	}
	return out
}

// hasPrefix reports whether prefix leads to p (or is p).
func hasPrefix(p, prefix FieldPath) bool {
	return len(prefix) <= len(p) && slices.Equal(p[:len(prefix)], prefix)
}

// selectorsOf is the path as manifest.Doc.Position reads it.
func selectorsOf(p FieldPath) []string {
	out := make([]string, len(p))
	for i, s := range p {
		switch {
		case s.Named:
			out[i] = "name=" + s.Name
		case s.Indexed:
			out[i] = strconv.Itoa(s.Index)
		default:
			out[i] = s.Key
		}
	}
	return out
}
