package compose

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/orkdev/ork/pkg/komposer"
	"github.com/orkdev/ork/pkg/manifest"
	"github.com/orkdev/ork/pkg/schema"
)

// testValidator is shared by the tests: compiling the schemas is the
// expensive part, and a Validator is safe for concurrent use.
var testValidator = sync.OnceValue(schema.New)

// repo is a small repository: file name (slash-separated, relative to the
// repository root) to contents.
type repo map[string]string

// with returns a copy of r with files added or replaced; an empty content
// removes the file.
func (r repo) with(files repo) repo {
	out := maps.Clone(r)
	for name, data := range files {
		if data == "" {
			delete(out, name)
			continue
		}
		out[name] = data
	}
	return out
}

// write puts the repository in a fresh temporary directory.
func (r repo) write(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range r {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// at returns "file:line:col" of the first occurrence of needle in file, as
// ork reports positions (1-based, columns in bytes).
func (r repo) at(t *testing.T, file, needle string) string {
	t.Helper()
	data, ok := r[file]
	if !ok {
		t.Fatalf("no file %s", file)
	}
	i := strings.Index(data, needle)
	if i < 0 {
		t.Fatalf("%q not in %s", needle, file)
	}
	line := strings.Count(data[:i], "\n") + 1
	col := i - strings.LastIndexByte(data[:i], '\n')
	return fmt.Sprintf("%s:%d:%d", file, line, col)
}

// options writes the repository and loads its Komposer.
func (r repo) options(t *testing.T, envs ...string) Options {
	t.Helper()
	dir := r.write(t)
	k, err := komposer.Load(filepath.Join(dir, "komposer.yaml"), "komposer.yaml", testValidator())
	if err != nil {
		t.Fatalf("loading the Komposer: %v", err)
	}
	return Options{Komposer: k, Environments: envs, Validator: testValidator(), WorkDir: dir}
}

func (r repo) build(t *testing.T, envs ...string) ([]*Katalog, error) {
	t.Helper()
	return Build(context.Background(), r.options(t, envs...))
}

// mustBuild builds and fails the test on any error.
func (r repo) mustBuild(t *testing.T, envs ...string) []*Katalog {
	t.Helper()
	kats, err := r.build(t, envs...)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return kats
}

// buildErr builds, expecting an error, and returns its lines.
func (r repo) buildErr(t *testing.T, envs ...string) []string {
	t.Helper()
	kats, err := r.build(t, envs...)
	if err == nil {
		t.Fatalf("Build succeeded with %d Katalogs, want an error", len(kats))
	}
	if kats != nil {
		t.Errorf("Build returned Katalogs with an error")
	}
	return strings.Split(err.Error(), "\n")
}

func envNames(kats []*Katalog) []string {
	var out []string
	for _, k := range kats {
		out = append(out, k.Env.Name)
	}
	return out
}

// manifestOf returns the manifest of kind and namespace/name in a Katalog.
func manifestOf(t *testing.T, k *Katalog, kind, nsName string) map[string]any {
	t.Helper()
	if len(k.IDs) != len(k.Manifests) {
		t.Fatalf("%s: %d IDs, %d manifests", k.Env.Name, len(k.IDs), len(k.Manifests))
	}
	for i, id := range k.IDs {
		if id.Kind == kind && policyKey(id) == nsName {
			return k.Manifests[i]
		}
	}
	t.Fatalf("%s: no %s %s in the Katalog (%v)", k.Env.Name, kind, nsName, k.IDs)
	return nil
}

// get follows a path of map keys and list indices.
func get(v any, path ...any) any {
	for _, p := range path {
		switch p := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[p]
		case int:
			l, _ := v.([]any)
			if p >= len(l) {
				return nil
			}
			v = l[p]
		}
	}
	return v
}

func sameLines(t *testing.T, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func containsAll(t *testing.T, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%q does not contain %q", s, sub)
		}
	}
}

// layered is a repository with two sources, overlays (one shared by two
// environments, one environment with two) and overrides, each setting some
// of the keys of one ConfigMap, so the winner of each key shows the order.
var layered = repo{
	"komposer.yaml": `apiVersion: ork.dev/v1alpha1
kind: Komposer
metadata: {name: layered}
sources:
  - name: base
    path: ./base
  - name: extra
    path: ./extra.yaml
secrets: [DB_PASSWORD]
environments:
  - name: a
    overlays: [./envs/a]
  - name: b
    overlays: [./envs/b, ./envs/shared]
  - name: production
    production: true
    overlays: [./envs/shared]
bundle: {name: katalog, namespace: platform}
namespaces: [apps]
overrides:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: settings, namespace: apps}
    data: {override: komposer, when: "${env.name}"}
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: from-override, namespace: apps}
`,
	"base/settings.yaml": `apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: apps}
data:
  base: base
  source: base
  overlay: base
  override: base
  gone: base
`,
	"base/app.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: apps
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
        - name: app
          image: app:1.0
          env:
            - {name: ENV, value: $ENV}
            - {name: URL, value: "https://${env.name}.example.com/$$ENV"}
            - {name: PASSWORD, value: "${secrets.DB_PASSWORD}"}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w, namespace: apps}
spec:
  production: ${env.production}
  ingress:
    domain:
      default: w.example.com
      environment: w.$ENV.example.com
`,
	"extra.yaml": `apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: apps}
data:
  source: extra
  overlay: extra
  override: extra
`,
	"envs/a/only-a.yaml": `apiVersion: v1
kind: ConfigMap
metadata: {name: only-a, namespace: apps}
`,
	"envs/a/settings.yaml": `apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: apps}
data:
  overlay: a
  override: a
  gone: null
`,
	"envs/b/settings.yaml": `apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: apps}
data:
  overlay: b
  override: b
  env: $ENV
`,
	"envs/shared/settings.yaml": `apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: apps}
data:
  overlay: shared-$ENV
`,
	"envs/shared/z-added.yaml": `# added by the shared overlay
apiVersion: v1
kind: ConfigMap
metadata: {name: shared-added, namespace: apps}
`,
}

// TestBuildMerged checks each environment's merged, expanded and completed
// manifests: sources in order, then overlays in order, then overrides.
func TestBuildMerged(t *testing.T) {
	kats := layered.mustBuild(t)
	if got, want := envNames(kats), []string{"a", "b", "production"}; !slices.Equal(got, want) {
		t.Fatalf("environments %q, want %q", got, want)
	}
	wantData := map[string]map[string]any{
		"a":          {"base": "base", "source": "extra", "overlay": "a", "override": "komposer", "when": "a"},
		"b":          {"base": "base", "source": "extra", "overlay": "shared-b", "override": "komposer", "gone": "base", "env": "b", "when": "b"},
		"production": {"base": "base", "source": "extra", "overlay": "shared-production", "override": "komposer", "gone": "base", "when": "production"},
	}
	for _, k := range kats {
		t.Run(k.Env.Name, func(t *testing.T) {
			if k.Env.Production != (k.Env.Name == "production") {
				t.Errorf("Env = %+v", k.Env)
			}
			settings := manifestOf(t, k, "ConfigMap", "apps/settings")
			want := map[string]any{
				"apiVersion": "v1",
				"kind":       "ConfigMap",
				"metadata":   map[string]any{"name": "settings", "namespace": "apps"},
				"data":       wantData[k.Env.Name],
			}
			if !reflect.DeepEqual(settings, want) {
				t.Errorf("ConfigMap apps/settings =\n%#v\nwant\n%#v", settings, want)
			}

			app := manifestOf(t, k, "Deployment", "apps/app")
			if r := get(app, "spec", "replicas"); fmt.Sprint(r) != "1" {
				t.Errorf("Deployment spec.replicas = %#v, want the default 1", r)
			}
			env := get(app, "spec", "template", "spec", "containers", 0, "env")
			wantEnv := []any{
				map[string]any{"name": "ENV", "value": k.Env.Name},
				map[string]any{"name": "URL", "value": "https://" + k.Env.Name + ".example.com/$ENV"},
				map[string]any{"name": "PASSWORD", "value": "${secrets.DB_PASSWORD}"},
			}
			if !reflect.DeepEqual(env, wantEnv) {
				t.Errorf("Deployment env =\n%#v\nwant\n%#v", env, wantEnv)
			}

			w := manifestOf(t, k, "Widget", "apps/w")
			wantDomain := "w." + k.Env.Name + ".example.com"
			if k.Env.Production {
				wantDomain = "w.example.com"
			}
			if d := get(w, "spec", "ingress", "domain"); d != wantDomain {
				t.Errorf("Widget spec.ingress.domain = %#v, want %q", d, wantDomain)
			}
			if p := get(w, "spec", "production"); p != k.Env.Production {
				t.Errorf("Widget spec.production = %#v (%T), want %v", p, p, k.Env.Production)
			}

			// Bundle order: group, kind, namespace, name.
			if !slices.IsSortedFunc(k.IDs, func(a, b manifest.ID) int {
				if a.Less(b) {
					return -1
				}
				if b.Less(a) {
					return 1
				}
				return 0
			}) {
				t.Errorf("IDs not in bundle order: %v", k.IDs)
			}
			manifests, crds := k.Counts()
			// settings, from-override, app, w, and only-a or shared-added
			if manifests != 5 || crds != 0 {
				t.Errorf("Counts() = %d, %d; want 5, 0", manifests, crds)
			}
		})
	}
}

// TestBuildOrder pins the merge order with one key per pair of layers.
func TestBuildOrder(t *testing.T) {
	r := layered.with(repo{
		"base/order.yaml": `apiVersion: v1
kind: ConfigMap
metadata: {name: order, namespace: apps}
data: {sources: base, overlays: base, all: base}
`,
		"extra.yaml": layered["extra.yaml"] + `---
apiVersion: v1
kind: ConfigMap
metadata: {name: order, namespace: apps}
data: {sources: extra, overlays: extra, all: extra}
`,
		"envs/b/order.yaml": `apiVersion: v1
kind: ConfigMap
metadata: {name: order, namespace: apps}
data: {overlays: b, all: b}
`,
		"envs/shared/order.yaml": `apiVersion: v1
kind: ConfigMap
metadata: {name: order, namespace: apps}
data: {overlays: shared, all: shared}
`,
		"komposer.yaml": layered["komposer.yaml"] + `  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: order, namespace: apps}
    data: {all: overrides}
`,
	})
	for _, k := range r.mustBuild(t, "b") {
		got := get(manifestOf(t, k, "ConfigMap", "apps/order"), "data")
		want := map[string]any{"sources": "extra", "overlays": "shared", "all": "overrides"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ConfigMap apps/order data = %v, want %v", got, want)
		}
	}
}

// TestBuildManySources: path sources (loaded concurrently) still merge in
// the order listed; run with -race.
func TestBuildManySources(t *testing.T) {
	r := repo{}
	var k strings.Builder
	k.WriteString("apiVersion: ork.dev/v1alpha1\nkind: Komposer\nmetadata: {name: many}\nsources:\n")
	want := map[string]any{}
	for i := range 12 {
		name := fmt.Sprintf("s%02d", i)
		fmt.Fprintf(&k, "  - name: %s\n    path: ./%s.yaml\n", name, name)
		r[name+".yaml"] = fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: order, namespace: apps}\ndata: {last: %s, %s: %s}\n", name, name, name)
		want[name] = name
	}
	want["last"] = "s11"
	k.WriteString("environments:\n  - name: a\n  - name: b\nbundle: {name: katalog, namespace: platform}\nnamespaces: [apps]\n")
	r["komposer.yaml"] = k.String()
	for _, kat := range r.mustBuild(t) {
		if got := get(manifestOf(t, kat, "ConfigMap", "apps/order"), "data"); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: data = %v, want %v", kat.Env.Name, got, want)
		}
		if len(kat.Pins) != 12 || kat.Pins[0].Name != "s00" || kat.Pins[11].Name != "s11" {
			t.Errorf("%s: pins %+v", kat.Env.Name, kat.Pins)
		}
	}
}

// TestBuildAdditions: documents of overlays and overrides whose identity no
// earlier layer has are listed, in layer order, with their positions.
func TestBuildAdditions(t *testing.T) {
	kats := layered.mustBuild(t)
	override := Addition{
		ID:     manifest.ID{Kind: "ConfigMap", Namespace: "apps", Name: "from-override"},
		Pos:    manifest.Pos{File: "komposer.yaml", Line: 25, Col: 5},
		Source: "overrides",
	}
	if got := layered.at(t, "komposer.yaml", "apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: from-override"); got != "komposer.yaml:25:5" {
		t.Fatalf("fixture moved: from-override at %s", got)
	}
	shared := Addition{
		ID:     manifest.ID{Kind: "ConfigMap", Namespace: "apps", Name: "shared-added"},
		Pos:    manifest.Pos{File: "envs/shared/z-added.yaml", Line: 2, Col: 1},
		Source: "./envs/shared",
	}
	want := map[string][]Addition{
		"a": {{
			ID:     manifest.ID{Kind: "ConfigMap", Namespace: "apps", Name: "only-a"},
			Pos:    manifest.Pos{File: "envs/a/only-a.yaml", Line: 1, Col: 1},
			Source: "./envs/a",
		}, override},
		"b":          {shared, override},
		"production": {shared, override},
	}
	for _, k := range kats {
		if !reflect.DeepEqual(k.Additions, want[k.Env.Name]) {
			t.Errorf("%s: Additions =\n%+v\nwant\n%+v", k.Env.Name, k.Additions, want[k.Env.Name])
		}
	}
}

// TestBuildPins: each environment records its sources and overlays, in
// order, with stable ids.
func TestBuildPins(t *testing.T) {
	kats := layered.mustBuild(t)
	want := map[string][]string{
		"a":          {"base path ./base", "extra path ./extra.yaml", "./envs/a overlay ./envs/a"},
		"b":          {"base path ./base", "extra path ./extra.yaml", "./envs/b overlay ./envs/b", "./envs/shared overlay ./envs/shared"},
		"production": {"base path ./base", "extra path ./extra.yaml", "./envs/shared overlay ./envs/shared"},
	}
	for _, k := range kats {
		var got []string
		for _, p := range k.Pins {
			got = append(got, p.Name+" "+p.Type+" "+p.Location)
			if !strings.HasPrefix(p.ID, "sha256:") {
				t.Errorf("%s: pin %s has id %q", k.Env.Name, p.Name, p.ID)
			}
		}
		if !slices.Equal(got, want[k.Env.Name]) {
			t.Errorf("%s: pins %q, want %q", k.Env.Name, got, want[k.Env.Name])
		}
	}
	if kats[1].Pins[3].ID != kats[2].Pins[2].ID {
		t.Errorf("one overlay has two ids: %s, %s", kats[1].Pins[3].ID, kats[2].Pins[2].ID)
	}
}

// TestBuildEnvironments: a selection builds only the environments named; an
// unknown name is an error naming the known ones.
func TestBuildEnvironments(t *testing.T) {
	kats := layered.mustBuild(t, "b")
	if got := envNames(kats); !slices.Equal(got, []string{"b"}) {
		t.Errorf("Environments [b] built %q", got)
	}
	kats = layered.mustBuild(t, "production", "production")
	if got := envNames(kats); !slices.Equal(got, []string{"production"}) {
		t.Errorf("Environments [production production] built %q", got)
	}
	if !kats[0].Env.Production {
		t.Errorf("production's Env = %+v", kats[0].Env)
	}

	lines := layered.buildErr(t, "nope")
	sameLines(t, lines, []string{`komposer.yaml: unknown environment "nope" (known: a, b, production)`})
	lines = layered.buildErr(t, "a", "prod", "qa")
	sameLines(t, lines, []string{
		`komposer.yaml: unknown environment "prod" (known: a, b, production)`,
		`komposer.yaml: unknown environment "qa" (known: a, b, production)`,
	})
}

// TestBuildCanceled: a canceled context stops the build with its error.
func TestBuildCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	kats, err := Build(ctx, layered.options(t))
	if !errors.Is(err, context.Canceled) || kats != nil {
		t.Errorf("Build with a canceled context = %v, %v; want context.Canceled", kats, err)
	}
}

// TestBuildDeterministic: two builds of one repository give equal Katalogs.
func TestBuildDeterministic(t *testing.T) {
	opts := layered.options(t)
	first, err := Build(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		again, err := Build(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		for i := range first {
			if !reflect.DeepEqual(first[i].IDs, again[i].IDs) ||
				!reflect.DeepEqual(first[i].Manifests, again[i].Manifests) ||
				!reflect.DeepEqual(first[i].Additions, again[i].Additions) ||
				!reflect.DeepEqual(first[i].Pins, again[i].Pins) {
				t.Fatalf("%s: two builds differ", first[i].Env.Name)
			}
		}
	}
}

// twoEnvs is a repository with one source and two environments.
var twoEnvs = repo{
	"komposer.yaml": `apiVersion: ork.dev/v1alpha1
kind: Komposer
metadata: {name: two}
sources:
  - name: base
    path: ./base
secrets: [DB_PASSWORD]
environments:
  - name: a
  - name: b
    overlays: [./envs/b]
bundle: {name: katalog, namespace: platform}
namespaces: [apps]
`,
	"base/app.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: apps
spec:
  replicas: 1
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
        - name: app
          image: app:1.0
          env:
            - name: FIRST
              value: one
            - name: PASSWORD
              value: ${secrets.DB_PASSWORD}
`,
	"envs/b/app.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: apps}
spec:
  template:
    spec:
      containers:
        - name: app
          image: app:2.0
`,
}

func TestBuildTwoEnvs(t *testing.T) {
	kats := twoEnvs.mustBuild(t)
	if got := envNames(kats); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("environments %q", got)
	}
	for _, k := range kats {
		if len(k.Additions) != 0 {
			t.Errorf("%s: Additions %v, want none", k.Env.Name, k.Additions)
		}
	}
	if img := get(manifestOf(t, kats[1], "Deployment", "apps/app"), "spec", "template", "spec", "containers", 0, "image"); img != "app:2.0" {
		t.Errorf("b's image = %v", img)
	}
}

// TestBuildDuplicateIdentity: two documents with one identity in one layer
// are an error naming both positions; in two layers they merge.
func TestBuildDuplicateIdentity(t *testing.T) {
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dup, namespace: apps}\n"
	t.Run("two files of a source", func(t *testing.T) {
		r := twoEnvs.with(repo{"base/a.yaml": cm, "base/b.yaml": "# again\n" + cm})
		sameLines(t, r.buildErr(t), []string{
			`base/b.yaml:2:1: ConfigMap apps/dup is defined twice in one layer (first at base/a.yaml:1:1) (source "base")`,
		})
	})
	t.Run("one file of a source", func(t *testing.T) {
		r := twoEnvs.with(repo{"base/a.yaml": cm + "---\n" + cm})
		sameLines(t, r.buildErr(t), []string{
			`base/a.yaml:5:1: ConfigMap apps/dup is defined twice in one layer (first at base/a.yaml:1:1) (source "base")`,
		})
	})
	t.Run("an overlay used by two environments", func(t *testing.T) {
		r := twoEnvs.with(repo{
			"komposer.yaml": strings.Replace(twoEnvs["komposer.yaml"], "  - name: a\n", "  - name: a\n    overlays: [./envs/b]\n", 1),
			"envs/b/x.yaml": cm + "---\n" + cm,
		})
		sameLines(t, r.buildErr(t), []string{
			`envs/b/x.yaml:5:1: ConfigMap apps/dup is defined twice in one layer (first at envs/b/x.yaml:1:1) (source "./envs/b")`,
		})
	})
	t.Run("overrides", func(t *testing.T) {
		r := twoEnvs.with(repo{"komposer.yaml": twoEnvs["komposer.yaml"] + `overrides:
  - {apiVersion: v1, kind: ConfigMap, metadata: {name: dup, namespace: apps}}
  - {apiVersion: v1, kind: ConfigMap, metadata: {name: dup, namespace: apps}, data: {k: v}}
`})
		lines := r.buildErr(t)
		if len(lines) != 1 {
			t.Fatalf("errors %q, want one", lines)
		}
		sameLines(t, lines, []string{
			r.at(t, "komposer.yaml", "{apiVersion: v1, kind: ConfigMap, metadata: {name: dup, namespace: apps}, data") +
				`: ConfigMap apps/dup is defined twice in one layer (first at ` +
				r.at(t, "komposer.yaml", "{apiVersion: v1, kind: ConfigMap, metadata: {name: dup, namespace: apps}}") +
				`) (source "overrides")`,
		})
	})
	t.Run("two layers merge", func(t *testing.T) {
		r := twoEnvs.with(repo{"base/a.yaml": cm, "envs/b/a.yaml": cm})
		r.mustBuild(t)
	})
	t.Run("other namespace, kind or group", func(t *testing.T) {
		r := twoEnvs.with(repo{"base/a.yaml": cm + "---\n" +
			strings.Replace(cm, "namespace: apps", "namespace: other", 1) + "---\n" +
			"apiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n---\n" +
			strings.Replace(cm, "kind: ConfigMap", "kind: Secret", 1) + "---\n" +
			strings.Replace(cm, "apiVersion: v1", "apiVersion: example.com/v1", 1)})
		r.mustBuild(t)
	})
}

// TestBuildSchemaErrors: a violation is reported at the field's line; the
// same violation in a shared source is reported once for every environment.
func TestBuildSchemaErrors(t *testing.T) {
	r := twoEnvs.with(repo{
		"base/app.yaml":   strings.Replace(twoEnvs["base/app.yaml"], "  replicas: 1\n", "  replica: 1\n", 1),
		"envs/b/app.yaml": strings.Replace(twoEnvs["envs/b/app.yaml"], "spec:\n", "spec:\n  replicas: \"2\"\n", 1),
	})
	sameLines(t, r.buildErr(t), []string{
		r.at(t, "base/app.yaml", "1\n  selector") + `: Deployment.apps apps/app: spec.replica: field not allowed; did you mean replicas? (environments a, b; source "base")`,
		r.at(t, "envs/b/app.yaml", `"2"`) + `: Deployment.apps apps/app: spec.replicas: conflicting values "2" and int32 (mismatched types string and int) (environment b; source "./envs/b")`,
	})
}

// TestBuildSchemaErrorInNamedList: a violation inside a named list item is
// found in the layer that wrote it, even at another index there.
func TestBuildSchemaErrorInNamedList(t *testing.T) {
	r := twoEnvs.with(repo{
		"envs/b/app.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: apps}
spec:
  template:
    spec:
      containers:
        - name: app
          env:
            - name: PASSWORD
              value: 7
`,
	})
	lines := r.buildErr(t)
	if len(lines) != 1 {
		t.Fatalf("errors %q, want one", lines)
	}
	containsAll(t, lines[0], r.at(t, "envs/b/app.yaml", "7")+": Deployment.apps apps/app: spec.template.spec.containers[name=app].env[name=PASSWORD].value: ", "(environment b; source \"./envs/b\")")
}

// TestBuildTemplateErrors: a template error is reported at the string's
// line, in the layer that wrote it.
func TestBuildTemplateErrors(t *testing.T) {
	r := twoEnvs.with(repo{
		"base/app.yaml": strings.Replace(twoEnvs["base/app.yaml"], "value: one", "value: ${secrets.NOPE}", 1),
		"envs/b/app.yaml": twoEnvs["envs/b/app.yaml"] + `          env:
            - name: PASSWORD
              value: x-${env.region}
`,
	})
	sameLines(t, r.buildErr(t), []string{
		r.at(t, "base/app.yaml", "${secrets.NOPE}") + `: Deployment.apps apps/app: spec.template.spec.containers[name=app].env[name=FIRST].value: secret "NOPE" is not declared in the Komposer's secrets; add it under ` + "`secrets:`" + ` in komposer.yaml (environments a, b; source "base")`,
		r.at(t, "envs/b/app.yaml", "x-${env.region}") + `: Deployment.apps apps/app: spec.template.spec.containers[name=app].env[name=PASSWORD].value: unknown template ${env.region}: the environment has only ${env.name} and ${env.production} (environment b; source "./envs/b")`,
	})
}

// TestBuildTemplateErrorInOverride: a template error in an inline override
// is reported at its line in the Komposer.
func TestBuildTemplateErrorInOverride(t *testing.T) {
	r := twoEnvs.with(repo{"komposer.yaml": twoEnvs["komposer.yaml"] + `overrides:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: o, namespace: apps}
    data: {k: "${secrets.NOPE}"}
`})
	sameLines(t, r.buildErr(t), []string{
		r.at(t, "komposer.yaml", `"${secrets.NOPE}"`) + `: ConfigMap apps/o: data.k: secret "NOPE" is not declared in the Komposer's secrets; add it under ` + "`secrets:`" + ` in komposer.yaml (environments a, b; source "overrides")`,
	})
}

const productionPolicy = `package policies

// Production runs with headroom.
if env.production {
	katalog: Deployment: [string]: spec: replicas: >=3
}
`

// TestBuildPolicyConstraint: a policy constrains only where it applies, and
// a violation names the value's line and the constraint's.
func TestBuildPolicyConstraint(t *testing.T) {
	r := twoEnvs.with(repo{
		"komposer.yaml":     strings.Replace(twoEnvs["komposer.yaml"], "bundle:", "  - name: production\n    production: true\nbundle:", 1),
		"base/policies.cue": productionPolicy,
	})

	kats := r.mustBuild(t, "a", "b")
	if len(kats) != 2 {
		t.Fatalf("built %q", envNames(kats))
	}
	sameLines(t, r.buildErr(t), []string{
		r.at(t, "base/app.yaml", "1\n  selector") + `: Deployment.apps apps/app: spec.replicas: invalid value 1 (out of bound >=3); constraint at ` +
			r.at(t, "base/policies.cue", ">=3") + ` (environment production; source "base")`,
	})

	// An overlay that meets the policy fixes production.
	fixed := r.with(repo{"envs/production/app.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app, namespace: apps}\nspec: {replicas: 3}\n"})
	fixed["komposer.yaml"] = strings.Replace(r["komposer.yaml"], "    production: true\n", "    production: true\n    overlays: [./envs/production]\n", 1)
	kats = fixed.mustBuild(t)
	if got := get(manifestOf(t, kats[2], "Deployment", "apps/app"), "spec", "replicas"); fmt.Sprint(got) != "3" {
		t.Errorf("production replicas = %v", got)
	}
}

// policyRepo is twoEnvs with a policy file.
func policyRepo(cue string) repo {
	return twoEnvs.with(repo{"base/policy.cue": "package policies\n\n" + cue})
}

// TestBuildPolicyDefines: a policy may define a manifest, which is then in
// the Katalog, completed, and listed as an addition; it may also complete
// an existing manifest.
func TestBuildPolicyDefines(t *testing.T) {
	r := policyRepo(`katalog: ConfigMap: "apps/extra": {apiVersion: "v1", kind: "ConfigMap", metadata: {name: "extra", namespace: "apps"}}
katalog: Namespace: "apps": {apiVersion: "v1", kind: "Namespace", metadata: name: "apps"}
katalog: Deployment: "apps/app": metadata: labels: environment: env.name
`)
	for _, k := range r.mustBuild(t) {
		extra := manifestOf(t, k, "ConfigMap", "apps/extra")
		want := map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "extra", "namespace": "apps"}}
		if !reflect.DeepEqual(extra, want) {
			t.Errorf("%s: ConfigMap apps/extra = %#v, want %#v", k.Env.Name, extra, want)
		}
		manifestOf(t, k, "Namespace", "apps")
		if got := get(manifestOf(t, k, "Deployment", "apps/app"), "metadata", "labels", "environment"); got != k.Env.Name {
			t.Errorf("%s: label set by the policy = %v", k.Env.Name, got)
		}
		var added []string
		for _, a := range k.Additions {
			if a.Source != "policy" || a.Pos != (manifest.Pos{}) {
				t.Errorf("%s: addition %+v, want source policy and no position", k.Env.Name, a)
			}
			added = append(added, a.ID.String())
		}
		slices.Sort(added)
		if want := []string{"ConfigMap apps/extra", "Namespace apps"}; !slices.Equal(added, want) {
			t.Errorf("%s: additions %q, want %q", k.Env.Name, added, want)
		}
		if m, crds := k.Counts(); m != 3 || crds != 0 {
			t.Errorf("%s: Counts() = %d, %d; want 3, 0", k.Env.Name, m, crds)
		}
		if !slices.IsSortedFunc(k.IDs, func(a, b manifest.ID) int {
			if a.Less(b) {
				return -1
			}
			return 1
		}) {
			t.Errorf("%s: IDs not in bundle order: %v", k.Env.Name, k.IDs)
		}
	}
}

// TestBuildPolicyAdditionsOrder: what policies add is listed in one order
// whatever the run (ork validate prints the list).
func TestBuildPolicyAdditionsOrder(t *testing.T) {
	var cue strings.Builder
	for _, n := range []string{"c", "a", "e", "b", "d", "f", "h", "g"} {
		fmt.Fprintf(&cue, "katalog: ConfigMap: \"apps/%s\": {apiVersion: \"v1\", kind: \"ConfigMap\", metadata: {name: %q, namespace: \"apps\"}}\n", n, n)
	}
	opts := policyRepo(cue.String()).options(t, "a")
	var first []string
	for i := range 10 {
		kats, err := Build(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range kats[0].Additions {
			got = append(got, a.ID.Name)
		}
		if i == 0 {
			first = got
			continue
		}
		if !slices.Equal(got, first) {
			t.Fatalf("build %d lists policy additions as %q, build 0 as %q", i, got, first)
		}
	}
}

// TestBuildPolicyErrors: a manifest a policy defines must be valid, and
// must have the kind and name it is defined under.
func TestBuildPolicyErrors(t *testing.T) {
	t.Run("invalid manifest", func(t *testing.T) {
		r := policyRepo(`katalog: ConfigMap: "apps/bad": {apiVersion: "v1", kind: "ConfigMap", metadata: {name: "bad", namespace: "apps"}, data: {n: 1}}
`)
		lines := r.buildErr(t)
		if len(lines) != 1 {
			t.Fatalf("errors %q, want one", lines)
		}
		containsAll(t, lines[0], "ConfigMap apps/bad: data.n: ", "defined by a policy", "environments a, b")
	})
	t.Run("misplaced manifest", func(t *testing.T) {
		r := policyRepo(`katalog: ConfigMap: "apps/wrong": {apiVersion: "v1", kind: "ConfigMap", metadata: {name: "other", namespace: "apps"}}
`)
		lines := r.buildErr(t)
		if len(lines) != 1 {
			t.Fatalf("errors %q, want one", lines)
		}
		containsAll(t, lines[0], `katalog.ConfigMap."apps/wrong"`, "not a manifest of that kind and name", "environments a, b")
	})
	t.Run("conflict with a manifest", func(t *testing.T) {
		r := policyRepo(`katalog: Deployment: "apps/app": spec: replicas: 2
`)
		lines := r.buildErr(t)
		if len(lines) != 1 {
			t.Fatalf("errors %q, want one", lines)
		}
		containsAll(t, lines[0], r.at(t, "base/app.yaml", "1\n  selector")+": Deployment.apps apps/app: spec.replicas: ", "constraint at base/policy.cue:3:", "environments a, b", `source "base"`)
	})
	t.Run("syntax error", func(t *testing.T) {
		r := policyRepo("katalog: Deployment: [string]: spec: replicas: >=\n")
		sameLines(t, r.buildErr(t), []string{`base/policy.cue:3:51: expected operand, found 'EOF' (source "base")`})
	})
}

// TestBundles: the bundles are the same bytes on every call, and their
// counts are the Katalogs'.
func TestBundles(t *testing.T) {
	opts := layered.options(t)
	first, err := Bundles(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	second, err := Bundles(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	kats, err := Build(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 3 || len(second) != 3 || len(kats) != 3 {
		t.Fatalf("%d, %d bundles and %d Katalogs, want 3", len(first), len(second), len(kats))
	}
	for i, b := range first {
		if b.Env != kats[i].Env {
			t.Errorf("bundle %d is %+v, Katalog %d is %+v", i, b.Env, i, kats[i].Env)
		}
		if !bytes.Equal(b.Data, second[i].Data) {
			t.Errorf("%s: two calls give different bytes", b.Env.Name)
		}
		m, crds := kats[i].Counts()
		if b.Manifests != m || b.CRDs != crds {
			t.Errorf("%s: bundle counts %d, %d; Katalog's %d, %d", b.Env.Name, b.Manifests, b.CRDs, m, crds)
		}
		for _, s := range []string{"ork.dev/environment: " + b.Env.Name, "ork.dev/digest: sha256:", "name: katalog\n", "namespace: platform\n"} {
			if !bytes.Contains(b.Data, []byte(s)) {
				t.Errorf("%s: bundle lacks %q", b.Env.Name, s)
			}
		}
	}
	if bytes.Equal(first[0].Data, first[1].Data) {
		t.Errorf("environments a and b have one bundle")
	}
	if _, err := Bundles(context.Background(), layered.options(t, "nope")); err == nil || !strings.Contains(err.Error(), `unknown environment "nope"`) {
		t.Errorf("Bundles with an unknown environment: %v", err)
	}
	only, err := Bundles(context.Background(), layered.options(t, "production"))
	if err != nil {
		t.Fatal(err)
	}
	if len(only) != 1 || !bytes.Equal(only[0].Data, first[2].Data) {
		t.Errorf("production alone gives other bytes than with every environment")
	}
}

// TestCounts: CRDs are CustomResourceDefinitions of apiextensions.k8s.io;
// a kind of that name in another group is a manifest like any other.
func TestCounts(t *testing.T) {
	k := &Katalog{IDs: []manifest.ID{
		{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition", Name: "a.example.com"},
		{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition", Name: "b.example.com"},
		{Group: "example.com", Kind: "CustomResourceDefinition", Name: "fake"},
		{Kind: "ConfigMap", Namespace: "apps", Name: "x"},
	}}
	if m, crds := k.Counts(); m != 2 || crds != 2 {
		t.Errorf("Counts() = %d, %d; want 2, 2", m, crds)
	}
	if m, crds := (&Katalog{}).Counts(); m != 0 || crds != 0 {
		t.Errorf("empty Counts() = %d, %d", m, crds)
	}
}

// TestDemo builds the repository's demo and compares it with the committed
// bundles (make check, inside go test).
func TestDemo(t *testing.T) {
	path, err := filepath.Abs("../../testdata/demo/komposer.yaml")
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	k, err := komposer.Load(path, "testdata/demo/komposer.yaml", testValidator())
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Komposer: k, Validator: testValidator(), WorkDir: root}
	bundles, err := Bundles(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string][2]int{"dev": {9, 1}, "staging": {9, 1}, "production": {10, 1}}
	var names []string
	for _, b := range bundles {
		names = append(names, b.Env.Name)
		want, err := os.ReadFile(filepath.Join(root, "bundles", b.Env.Name+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b.Data, want) {
			t.Errorf("bundles/%s.yaml is stale or the build changed: run make demo and review the diff", b.Env.Name)
		}
		if got := [2]int{b.Manifests, b.CRDs}; got != counts[b.Env.Name] {
			t.Errorf("%s: %d manifests, %d CRDs; want %v", b.Env.Name, b.Manifests, b.CRDs, counts[b.Env.Name])
		}
	}
	if want := []string{"dev", "staging", "production"}; !slices.Equal(names, want) {
		t.Errorf("demo environments %q, want %q", names, want)
	}

	kats, err := Build(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kats {
		var got []string
		for _, a := range k.Additions {
			got = append(got, a.Pos.String()+": "+a.ID.String())
		}
		var want []string
		if k.Env.Production {
			want = []string{"testdata/demo/environments/production/keycloak.yaml:37:1: PodDisruptionBudget.policy identity/keycloak"}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: additions %q, want %q", k.Env.Name, got, want)
		}
	}
}

// TestBuildReading: the sizes Options.Reading is told add up to the bytes of
// the sources and overlays the build reads, each once.
func TestBuildReading(t *testing.T) {
	opts := twoEnvs.options(t)
	var read int
	var mu sync.Mutex
	opts.Reading = func(size int) {
		mu.Lock()
		defer mu.Unlock()
		read += size
	}
	if _, err := Build(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	want := 0
	for name, data := range twoEnvs {
		if strings.HasPrefix(name, "base/") || strings.HasPrefix(name, "envs/b/") {
			want += len(data)
		}
	}
	if read != want {
		t.Errorf("Reading was told %d bytes, the sources and overlay hold %d", read, want)
	}
}
