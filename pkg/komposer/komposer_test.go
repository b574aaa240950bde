package komposer_test

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/orkdev/ork/pkg/komposer"
	"github.com/orkdev/ork/pkg/manifest"
	"github.com/orkdev/ork/pkg/schema"
)

const valid = `apiVersion: ork.dev/v1alpha1
kind: Komposer
metadata:
  name: platform
sources:
  - name: base
    path: ./katalog
  - name: security-baseline
    oci: registry.example.com/baselines/security:1.4.0
  - name: shared-services
    git:
      url: https://git.example.com/org/shared.git
      path: services
  - name: pinned
    git:
      url: https://git.example.com/org/pinned.git
      ref: v1.2.0
secrets: [KEYCLOAK_DB_USER, A_SECRET]
environments:
  - name: dev
    overlays: [./environments/dev]
  - name: staging
    branch: staging
    after: dev
    overlays: [./environments/staging]
  - name: production
    production: true
    after: staging
    overlays: [./environments/production]
bundle:
  name: orkestra-katalog
  namespace: orkestra-system
overrides:
  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: extra
    data:
      key: value
`

func TestParseValid(t *testing.T) {
	k, err := komposer.Parse("komposer.yaml", []byte(valid), schema.New())
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if k.Name != "platform" || k.Display != "komposer.yaml" {
		t.Errorf("Name, Display = %q, %q", k.Name, k.Display)
	}
	wantSources := []komposer.Source{
		{Name: "base", Path: "./katalog"},
		{Name: "security-baseline", OCI: "registry.example.com/baselines/security:1.4.0"},
		{Name: "shared-services", Git: &komposer.Git{URL: "https://git.example.com/org/shared.git", Ref: "HEAD", Path: "services"}},
		{Name: "pinned", Git: &komposer.Git{URL: "https://git.example.com/org/pinned.git", Ref: "v1.2.0"}},
	}
	if len(k.Sources) != len(wantSources) {
		t.Fatalf("got %d sources, want %d", len(k.Sources), len(wantSources))
	}
	for i, want := range wantSources {
		got := k.Sources[i]
		got.Pos = manifest.Pos{}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("source %d = %+v (git %+v), want %+v (git %+v)", i, got, got.Git, want, want.Git)
		}
	}
	if p := k.Sources[2].Pos; p != (manifest.Pos{File: "komposer.yaml", Line: 10, Col: 5}) {
		t.Errorf("source shared-services at %v, want komposer.yaml:10:5", p)
	}
	wantEnvs := []komposer.Environment{
		{Name: "dev", Overlays: []string{"./environments/dev"}},
		{Name: "staging", Branch: "staging", After: "dev", Overlays: []string{"./environments/staging"}},
		{Name: "production", Production: true, After: "staging", Overlays: []string{"./environments/production"}},
	}
	for i := range k.Environments {
		k.Environments[i].Pos = manifest.Pos{}
	}
	if !reflect.DeepEqual(k.Environments, wantEnvs) {
		t.Errorf("environments =\n%+v\nwant\n%+v", k.Environments, wantEnvs)
	}
	if got := k.EnvironmentNames(); !reflect.DeepEqual(got, []string{"dev", "staging", "production"}) {
		t.Errorf("EnvironmentNames = %q", got)
	}
	if e, ok := k.Environment("staging"); !ok || e.After != "dev" {
		t.Errorf("Environment(staging) = %+v, %v", e, ok)
	}
	if _, ok := k.Environment("nope"); ok {
		t.Errorf("Environment(nope) found")
	}
	if k.Bundle != (komposer.Bundle{Name: "orkestra-katalog", Namespace: "orkestra-system"}) {
		t.Errorf("Bundle = %+v", k.Bundle)
	}
	if !reflect.DeepEqual(k.Secrets, []string{"A_SECRET", "KEYCLOAK_DB_USER"}) {
		t.Errorf("Secrets = %q, want sorted", k.Secrets)
	}
	if !k.SecretDeclared("A_SECRET") || !k.SecretDeclared("KEYCLOAK_DB_USER") || k.SecretDeclared("OTHER") || k.SecretDeclared("") {
		t.Errorf("SecretDeclared gives wrong answers for %q", k.Secrets)
	}
	if len(k.Overrides) != 1 {
		t.Fatalf("got %d overrides, want 1", len(k.Overrides))
	}
	o := k.Overrides[0]
	if o.ID != (manifest.ID{Kind: "ConfigMap", Name: "extra"}) || o.Source != "overrides" || o.Pos.Line != 34 {
		t.Errorf("override = %v from %q at %v", o.ID, o.Source, o.Pos)
	}
}

func TestParseDefaults(t *testing.T) {
	src := `apiVersion: ork.dev/v1alpha1
kind: Komposer
metadata: {name: minimal}
sources:
  - name: remote
    git: {url: https://example.com/r.git}
environments:
  - name: dev
bundle: {name: b, namespace: ns}
`
	k, err := komposer.Parse("komposer.yaml", []byte(src), schema.New())
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if g := k.Sources[0].Git; g == nil || g.Ref != "HEAD" || g.Path != "" {
		t.Errorf("git = %+v, want ref HEAD", g)
	}
	e := k.Environments[0]
	if e.Production || e.After != "" || e.Branch != "" || len(e.Overlays) != 0 {
		t.Errorf("environment defaults = %+v", e)
	}
	if len(k.Secrets) != 0 || len(k.Overrides) != 0 {
		t.Errorf("secrets, overrides = %q, %v", k.Secrets, k.Overrides)
	}
}

func TestParseErrors(t *testing.T) {
	v := schema.New()
	tests := []struct {
		name string
		src  string
		want []string // each a regular expression the error must match
	}{
		{
			name: "unknown top-level field",
			src:  strings.Replace(valid, "secrets:", "extra: true\nsecrets:", 1),
			want: []string{`komposer\.yaml:18:\d+: .*extra.*not allowed`},
		},
		{
			name: "unknown field in a source",
			src:  strings.Replace(valid, "    path: ./katalog\n", "    path: ./katalog\n    branch: main\n", 1),
			want: []string{`komposer\.yaml:8:\d+: .*branch.*not allowed`},
		},
		{
			name: "source with path and oci",
			src:  strings.Replace(valid, "    path: ./katalog\n", "    path: ./katalog\n    oci: r.example.com/x:1\n", 1),
			want: []string{`komposer\.yaml:6:5: source "base": give exactly one of path, oci or git \(found 2\)`},
		},
		{
			name: "source with path and git",
			src:  strings.Replace(valid, "    oci: registry.example.com/baselines/security:1.4.0\n", "    oci: registry.example.com/baselines/security:1.4.0\n    git: {url: https://x}\n", 1),
			want: []string{`komposer\.yaml:8:5: source "security-baseline": give exactly one of path, oci or git \(found 2\)`},
		},
		{
			name: "source with nothing",
			src:  strings.Replace(valid, "    path: ./katalog\n", "", 1),
			want: []string{`komposer\.yaml:6:5: source "base": give exactly one of path, oci or git \(found 0\)`},
		},
		{
			name: "duplicate source names",
			src:  strings.Replace(valid, "  - name: security-baseline", "  - name: base", 1),
			want: []string{`komposer\.yaml:8:11: source "base" is declared twice`},
		},
		{
			name: "duplicate environment names",
			src:  strings.Replace(valid, "  - name: staging\n", "  - name: dev\n", 1),
			want: []string{`komposer\.yaml:22:11: environment "dev" is declared twice`},
		},
		{
			name: "duplicate secrets",
			src:  strings.Replace(valid, "[KEYCLOAK_DB_USER, A_SECRET]", "[KEYCLOAK_DB_USER, A_SECRET, KEYCLOAK_DB_USER]", 1),
			want: []string{`komposer\.yaml:18:\d+: secret "KEYCLOAK_DB_USER" is declared twice`},
		},
		{
			name: "unknown after",
			src:  strings.Replace(valid, "after: staging", "after: stage", 1),
			want: []string{`komposer\.yaml:28:12: environment "production": after names unknown environment "stage" \(known: dev, staging, production\)`},
		},
		{
			name: "after cycle",
			src:  strings.Replace(valid, "  - name: dev\n    overlays", "  - name: dev\n    after: production\n    overlays", 1),
			want: []string{
				`komposer\.yaml:21:12: environment "dev": after forms a cycle: dev -> production -> staging -> dev`,
				`environment "staging": after forms a cycle: staging -> dev -> production -> staging`,
				`environment "production": after forms a cycle: production -> staging -> dev -> production`,
			},
		},
		{
			name: "after itself",
			src:  strings.Replace(valid, "  - name: dev\n    overlays", "  - name: dev\n    after: dev\n    overlays", 1),
			want: []string{`komposer\.yaml:21:12: environment "dev": after forms a cycle: dev -> dev`},
		},
		{
			name: "upper-case source name",
			src:  strings.Replace(valid, "name: base", "name: Base", 1),
			want: []string{`komposer\.yaml:6:11: sources\[name=Base\]\.name: .*`},
		},
		{
			name: "upper-case environment name",
			src:  strings.Replace(valid, "name: dev\n", "name: Dev\n", 1),
			want: []string{`komposer\.yaml:20:11: environments\[name=Dev\]\.name: .*`},
		},
		{
			name: "invalid Komposer name",
			src:  strings.Replace(valid, "name: platform", "name: my_platform", 1),
			want: []string{`komposer\.yaml:4:9: metadata\.name: .*`},
		},
		{
			name: "invalid secret name",
			src:  strings.Replace(valid, "A_SECRET]", "a-secret]", 1),
			want: []string{`komposer\.yaml:18:\d+: secrets\[1\]: .*`},
		},
		{
			name: "missing bundle",
			src:  strings.Replace(valid, "bundle:\n  name: orkestra-katalog\n  namespace: orkestra-system\n", "", 1),
			want: []string{`komposer\.yaml:\d+:\d+: bundle(\.name)?: `},
		},
		{
			name: "bundle without namespace",
			src:  strings.Replace(valid, "  namespace: orkestra-system\n", "", 1),
			want: []string{`komposer\.yaml:\d+:\d+: bundle\.namespace: .*`},
		},
		{
			name: "no environments",
			src:  strings.Replace(strings.Split(valid, "environments:")[0], "secrets: [KEYCLOAK_DB_USER, A_SECRET]\n", "", 1) + "environments: []\nbundle: {name: b, namespace: n}\n",
			want: []string{`komposer\.yaml:\d+:\d+: environments: .*`},
		},
		{
			name: "production not a boolean",
			src:  strings.Replace(valid, "production: true", "production: \"yes\"", 1),
			want: []string{`komposer\.yaml:27:17: environments\[name=production\]\.production: .*`},
		},
		{
			name: "wrong kind",
			src:  strings.Replace(valid, "kind: Komposer", "kind: Composer", 1),
			want: []string{`komposer\.yaml:2:7: kind: .*`},
		},
		{
			name: "two documents",
			src:  valid + "---\n" + valid,
			want: []string{`^komposer\.yaml:1: a Komposer is one YAML document, found 2$`},
		},
		{
			name: "no document",
			src:  "# nothing\n",
			want: []string{`^komposer\.yaml:1: a Komposer is one YAML document, found 0$`},
		},
		{
			name: "not YAML",
			src:  "apiVersion: ork.dev/v1alpha1\nkind: [\n",
			want: []string{`^komposer\.yaml:2: invalid YAML`},
		},
		{
			name: "not a manifest",
			src:  "sources: []\n",
			want: []string{`^komposer\.yaml:1:1: document has no apiVersion, kind, metadata\.name`},
		},
		{
			name: "bad override",
			src:  valid + "  - apiVersion: v1\n    kind: ConfigMap\n",
			want: []string{`komposer\.yaml:\d+:\d+: overrides\[1\]\.metadata\.name: `},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := komposer.Parse("komposer.yaml", []byte(tt.src), v)
			if err == nil {
				t.Fatalf("Parse succeeded (%+v), want an error", k)
			}
			if k != nil {
				t.Errorf("Parse returned a Komposer with its error")
			}
			for _, w := range tt.want {
				if !matchesAny(err, w) {
					t.Errorf("error:\n%v\ndoes not match %s", err, w)
				}
			}
			// Every error names the file, its line and its column (the
			// document-level ones, with no column, are the exception).
			for _, e := range split(err) {
				if !regexp.MustCompile(`^komposer\.yaml:\d+(:\d+)?: `).MatchString(e.Error()) {
					t.Errorf("error %q does not start with komposer.yaml:LINE:COL", e)
				}
			}
		})
	}
}

// split returns the errors joined in err, or err itself.
func split(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, split(e)...)
		}
		return out
	}
	return []error{err}
}

func matchesAny(err error, re string) bool {
	r := regexp.MustCompile(re)
	for _, e := range append(split(err), err) {
		if r.MatchString(e.Error()) {
			return true
		}
	}
	return false
}

// TestParseNamespacedOverride checks that overrides may be any manifest,
// namespaced or labelled: SPEC calls them inline manifests that win over
// every source, and most manifests have a namespace.
func TestParseNamespacedOverride(t *testing.T) {
	src := valid + `  - apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
      namespace: apps
      labels: {tier: web}
    spec:
      replicas: 3
`
	k, err := komposer.Parse("komposer.yaml", []byte(src), schema.New())
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(k.Overrides) != 2 || k.Overrides[1].ID != (manifest.ID{Group: "apps", Kind: "Deployment", Namespace: "apps", Name: "web"}) {
		t.Errorf("overrides = %v", k.Overrides)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "platform")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(sub, komposer.FileName)
	if err := os.WriteFile(path, []byte(valid), 0o644); err != nil {
		t.Fatal(err)
	}
	k, err := komposer.Load(path, "platform/komposer.yaml", schema.New())
	if err != nil {
		t.Fatal(err)
	}
	if k.Path != path || k.Dir != sub || k.Root != dir || k.Display != "platform/komposer.yaml" {
		t.Errorf("Path, Dir, Root, Display = %q, %q, %q, %q", k.Path, k.Dir, k.Root, k.Display)
	}
	// Find, from a directory below the Komposer's, stops at the repository
	// root and finds nothing; from the Komposer's own directory it finds it.
	deeper := filepath.Join(sub, "environments", "dev")
	if err := os.MkdirAll(deeper, 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := komposer.Find(deeper); err != nil || got != path {
		t.Errorf("Find(%s) = %q, %v; want %q", deeper, got, err, path)
	}
	if got, err := komposer.Find(path); err != nil || got != path {
		t.Errorf("Find(file) = %q, %v", got, err)
	}
	if got, err := komposer.Find(dir); err == nil {
		t.Errorf("Find(repository root without a Komposer) = %q, want an error", got)
	}
}
