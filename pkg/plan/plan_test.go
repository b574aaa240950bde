package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/orkdev/ork/pkg/bundle"
)

// docs decodes a YAML stream of manifests.
func docs(t testing.TB, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	dec := yaml.NewDecoder(strings.NewReader(s))
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			break
		}
		if m != nil {
			out = append(out, m)
		}
	}
	return out
}

func obj(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// mkBundle encodes and loads a bundle of env holding manifests.
func mkBundle(t testing.TB, env string, manifests []map[string]any, pins ...bundle.Pin) *bundle.Bundle {
	t.Helper()
	if pins == nil {
		pins = []bundle.Pin{{Name: "base", Type: "path", Location: "./katalog", ID: "sha256:" + strings.Repeat("a", 64)}}
	}
	data, err := bundle.Encode(bundle.Spec{Name: "katalog", Namespace: "ork", Environment: env, Manifests: manifests, Sources: pins})
	if err != nil {
		t.Fatal(err)
	}
	b, err := bundle.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Verify(); err != nil {
		t.Fatal(err)
	}
	return b
}

// lines formats fields one per line, as the text plan does.
func lines(fs []Field) []string {
	var out []string
	for _, f := range fs {
		out = append(out, sign(f.Action)+" "+fieldLine(f))
	}
	return out
}

func TestFieldPaths(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		want     []string
	}{
		{"scalar", "spec: {replicas: 2}", "spec: {replicas: 5}", []string{`~ spec.replicas: 2 -> 5`}},
		{"string", "spec: {image: a:1}", "spec: {image: a:2}", []string{`~ spec.image: "a:1" -> "a:2"`}},
		{"type", "spec: {port: 80}", "spec: {port: '80'}", []string{`~ spec.port: 80 -> "80"`}},
		{"added and removed keys", "spec: {a: 1, b: {c: 2}}", "spec: {b: {d: 3}}",
			[]string{`- spec.a: 1`, `- spec.b.c: 2`, `+ spec.b.d: 3`}},
		{"added subtree", "spec: {}", "spec: {resources: {limits: {memory: 1Gi}}}",
			[]string{`+ spec.resources: {"limits":{"memory":"1Gi"}}`}},
		{"key with dots", "metadata: {labels: {app.kubernetes.io/name: a}}", "metadata: {labels: {app.kubernetes.io/name: b}}",
			[]string{`~ metadata.labels["app.kubernetes.io/name"]: "a" -> "b"`}},
		{"named list by name", "c: [{name: a, image: x}, {name: b, image: y}]", "c: [{name: b, image: z}, {name: a, image: x}]",
			[]string{`~ c[name=b].image: "y" -> "z"`, `~ c (order): ["a","b"] -> ["b","a"]`}},
		{"named list add and remove", "env: [{name: A, value: '1'}, {name: B, value: '2'}]", "env: [{name: A, value: '1'}, {name: C, value: '3'}]",
			[]string{`- env[name=B]: {"name":"B","value":"2"}`, `+ env[name=C]: {"name":"C","value":"3"}`}},
		{"scalar list whole", "args: [start, --optimized]", "args: [start, --verbose, --optimized]",
			[]string{`~ args: ["start","--optimized"] -> ["start","--verbose","--optimized"]`}},
		{"list of maps by index", "rules: [{host: a}, {host: b}]", "rules: [{host: a}, {host: c}, {host: d}]",
			[]string{`~ rules[1].host: "b" -> "c"`, `+ rules[2]: {"host":"d"}`}},
		{"map to scalar", "spec: {x: {a: 1}}", "spec: {x: 1}", []string{`~ spec.x: {"a":1} -> 1`}},
		{"null", "spec: {x: null}", "spec: {x: 1}", []string{`~ spec.x: null -> 1`}},
		{"long value cut", "spec: {}", "spec: {s: " + strings.Repeat("x", 100) + "}",
			[]string{`+ spec.s: "` + strings.Repeat("x", 78) + `…`}},
		{"equal", "spec: {a: [1, 2]}", "spec: {a: [1, 2]}", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := lines(diffFields(nil, obj(t, tt.old), obj(t, tt.new), rootWhere(ID{Kind: "Deployment", Group: "apps"})))
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

const crdV1 = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets}
  versions:
    - name: v1beta1
      served: true
      storage: false
      schema:
        openAPIV3Schema: {type: object, properties: {spec: {type: object}}}
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: {type: integer}
                color: {type: string}
                ports:
                  type: array
                  items:
                    type: object
                    properties:
                      port: {type: integer}
                      name: {type: string}
                labels:
                  type: object
                  additionalProperties: {type: string}
`

func TestBreakingCRD(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(m map[string]any)
		want   []string
	}{
		{"unchanged", func(map[string]any) {}, nil},
		{"served version removed", func(m map[string]any) {
			s := m["spec"].(map[string]any)
			s["versions"] = s["versions"].([]any)[1:]
		}, []string{"version v1beta1 is removed"}},
		{"version no longer served", func(m map[string]any) {
			version(m, 0)["served"] = false
		}, []string{"version v1beta1 is no longer served"}},
		{"field removed", func(m map[string]any) {
			delete(props(m, 1), "color")
		}, []string{"version v1: spec.color: field removed"}},
		{"field removed where unknown fields are kept", func(m map[string]any) {
			delete(props(m, 1), "color")
			specSchema(m, 1)["x-kubernetes-preserve-unknown-fields"] = true
		}, nil},
		{"nested field removed", func(m map[string]any) {
			items := props(m, 1)["ports"].(map[string]any)["items"].(map[string]any)
			delete(items["properties"].(map[string]any), "name")
		}, []string{"version v1: spec.ports[].name: field removed"}},
		{"type changed", func(m map[string]any) {
			props(m, 1)["size"].(map[string]any)["type"] = "string"
		}, []string{"version v1: spec.size: type changes from integer to string"}},
		{"map value type changed", func(m map[string]any) {
			props(m, 1)["labels"].(map[string]any)["additionalProperties"] = map[string]any{"type": "integer"}
		}, []string{"version v1: spec.labels[*]: type changes from string to integer"}},
		{"newly required", func(m map[string]any) {
			specSchema(m, 1)["required"] = []any{"size", "color"}
		}, []string{"version v1: spec.color: newly required"}},
		{"scope", func(m map[string]any) {
			m["spec"].(map[string]any)["scope"] = "Cluster"
		}, []string{"the scope changes from Namespaced to Cluster"}},
		{"additions break nothing", func(m map[string]any) {
			props(m, 1)["shape"] = map[string]any{"type": "string"}
			s := m["spec"].(map[string]any)
			s["versions"] = append(s["versions"].([]any), map[string]any{"name": "v2", "served": true, "storage": false})
			specSchema(m, 1)["required"] = []any{}
			specSchema(m, 1)["required"] = []any{"size"}
			props(m, 1)["size"].(map[string]any)["minimum"] = 0
		}, nil},
		{"an unserved version may go", func(m map[string]any) {
			version(m, 0)["served"] = false
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, new := obj(t, crdV1), obj(t, crdV1)
			if tt.name == "an unserved version may go" {
				version(old, 0)["served"] = false
				s := new["spec"].(map[string]any)
				s["versions"] = s["versions"].([]any)[1:]
			} else {
				tt.mutate(new)
			}
			got := breakingCRD(old, new)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func version(m map[string]any, i int) map[string]any {
	return m["spec"].(map[string]any)["versions"].([]any)[i].(map[string]any)
}

func specSchema(m map[string]any, i int) map[string]any {
	return dig(version(m, i), "schema", "openAPIV3Schema", "properties", "spec").(map[string]any)
}

func props(m map[string]any, i int) map[string]any {
	return specSchema(m, i)["properties"].(map[string]any)
}

func TestSensitiveKey(t *testing.T) {
	for k, want := range map[string]bool{
		"password": true, "DB_PASSWORD": true, "KC_DB_PASSWORD": true, "dbPassword": true, "passwd": true,
		"token": true, "bearerToken": true, "GITHUB_TOKEN": true, "clientSecret": true, "secret": true,
		"apiKey": true, "API_KEY": true, "api-key": true, "privateKey": true, "accessKey": true, "AWS_SECRET_ACCESS_KEY": true,
		"credentials": true, "apikey": true, "PGPASSWORD": true, "DB_PASS": true, "MYSQLPWD": true, "GITHUBTOKEN": true, "db_pw": true,
		"bypass": false, "compass": false, "passive": false,
		// Names of, and references to, secrets; and keys that merely say "key".
		"secretName": false, "secretRef": false, "secretKeyRef": false, "tokenFile": false, "passwordFile": false,
		"tokenPath": false, "keyId": false, "AWS_ACCESS_KEY_ID": false, "key": false, "topologyKey": false,
		"keycloak": false, "KEYCLOAK_URL": false, "monkey": false, "tokenUrl": false, "image": false, "name": false,
		"automountServiceAccountToken": true, // its value, a boolean, is never masked
	} {
		if got := sensitiveKey(k); got != want {
			t.Errorf("sensitiveKey(%q) = %v, want %v", k, got, want)
		}
	}
}

func TestWords(t *testing.T) {
	for k, want := range map[string]string{
		"clientSecret": "client secret", "DB_PASSWORD": "db password", "APIKey": "api key",
		"secretKeyRef": "secret key ref", "app.kubernetes.io/name": "app kubernetes io name", "": "",
	} {
		if got := strings.Join(words(k), " "); got != want {
			t.Errorf("words(%q) = %q, want %q", k, got, want)
		}
	}
}

func TestMask(t *testing.T) {
	const pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n"
	tests := []struct {
		name string
		id   ID
		doc  string
		want string // the masked document, as YAML
	}{
		{"secret data", ID{Kind: "Secret"}, `
data: {password: aHVudGVyMg==, user: YWRtaW4=}
stringData: {token: abc, ref: '${secrets.TOKEN}'}
metadata: {name: s}
type: Opaque`, `
data: {password: (sensitive value), user: (sensitive value)}
stringData: {token: (sensitive value), ref: '${secrets.TOKEN}'}
metadata: {name: s}
type: Opaque`},
		{"env by name", ID{Kind: "Deployment", Group: "apps"}, `
env:
  - {name: DB_PASSWORD, value: hunter2}
  - {name: API_TOKEN, value: '${secrets.API_TOKEN}'}
  - {name: DB_HOST, value: db}
  - {name: DB_PASSWORD_FILE, value: /run/pw}
  - name: ADMIN_PASSWORD
    valueFrom: {secretKeyRef: {name: admin, key: password}}`, `
env:
  - {name: DB_PASSWORD, value: (sensitive value)}
  - {name: API_TOKEN, value: '${secrets.API_TOKEN}'}
  - {name: DB_HOST, value: db}
  - {name: DB_PASSWORD_FILE, value: /run/pw}
  - name: ADMIN_PASSWORD
    valueFrom: {secretKeyRef: {name: admin, key: password}}`},
		{"keys", ID{Kind: "Katalog", Group: "orkestra.orkspace.io"}, `
spec:
  password: hunter2
  apiKey: 12345
  tls: {secretName: tls-cert, insecure: false}
  auth: {token: abc, tokenSecret: {name: t, key: token}}
  automountServiceAccountToken: true
  topologyKey: kubernetes.io/hostname
  keycloak: {url: https://auth}
  empty: {password: ""}`, `
spec:
  password: (sensitive value)
  apiKey: (sensitive value)
  tls: {secretName: tls-cert, insecure: false}
  auth: {token: (sensitive value), tokenSecret: {name: t, key: token}}
  automountServiceAccountToken: true
  topologyKey: kubernetes.io/hostname
  keycloak: {url: https://auth}
  empty: {password: ""}`},
		{"values that are secrets anywhere", ID{Kind: "ConfigMap"}, `
data:
  tls.key: "` + strings.ReplaceAll(pem, "\n", `\n`) + `"
  jwt: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U
  greeting: hello`, `
data:
  tls.key: (sensitive value)
  jwt: (sensitive value)
  greeting: hello`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got, _ := maskPair(nil, obj(t, tt.doc), rootWhere(tt.id))
			want := obj(t, tt.want)
			if encodeYAML(got) != encodeYAML(want) {
				t.Errorf("got\n%s\nwant\n%s", encodeYAML(got), encodeYAML(want))
			}
		})
	}
}

func TestMaskChanged(t *testing.T) {
	w := rootWhere(ID{Kind: "Secret"})
	o := obj(t, "stringData: {a: one, b: same, c: gone}")
	n := obj(t, "stringData: {a: two, b: same, d: new}")
	mo, mn, masked := maskPair(o, n, w)
	if !masked {
		t.Fatal("nothing masked")
	}
	if got, want := encodeYAML(mo), encodeYAML(obj(t, "stringData: {a: (sensitive value), b: (sensitive value), c: (sensitive value)}")); got != want {
		t.Errorf("old: got\n%s\nwant\n%s", got, want)
	}
	if got, want := encodeYAML(mn), encodeYAML(obj(t, `stringData: {a: "(sensitive value, changed)", b: (sensitive value), d: (sensitive value)}`)); got != want {
		t.Errorf("new: got\n%s\nwant\n%s", got, want)
	}
	fs := diffFields(nil, o, n, w)
	if got, want := strings.Join(lines(fs), "\n"), strings.Join([]string{
		"~ stringData.a: (sensitive value) -> (sensitive value, changed)",
		"- stringData.c: (sensitive value)",
		"+ stringData.d: (sensitive value)",
	}, "\n"); got != want {
		t.Errorf("fields: got\n%s\nwant\n%s", got, want)
	}
	for _, f := range fs {
		if !f.Sensitive {
			t.Errorf("%s: not marked sensitive", f.Path)
		}
	}
}

func TestUnified(t *testing.T) {
	a := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\n"
	tests := []struct{ name, a, b, want string }{
		{"same", a, a, ""},
		{"one line", a, strings.Replace(a, "g\n", "G\n", 1), `--- before
+++ after
@@ -4,7 +4,7 @@
 d
 e
 f
-g
+G
 h
 i
 j
`},
		{"two hunks", a, strings.Replace(strings.Replace(a, "a\n", "A\n", 1), "m\n", "m\nn\n", 1), `--- before
+++ after
@@ -1,4 +1,4 @@
-a
+A
 b
 c
 d
@@ -11,3 +11,4 @@
 k
 l
 m
+n
`},
		{"joined hunks", a, strings.Replace(strings.Replace(a, "b\n", "B\n", 1), "h\n", "H\n", 1), `--- before
+++ after
@@ -1,11 +1,11 @@
 a
-b
+B
 c
 d
 e
 f
 g
-h
+H
 i
 j
 k
`},
		{"from nothing", "", "x\ny\n", "--- before\n+++ after\n@@ -0,0 +1,2 @@\n+x\n+y\n"},
		{"to nothing", "x\n", "", "--- before\n+++ after\n@@ -1 +0,0 @@\n-x\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unified(tt.a, tt.b); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

const katalog = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: apps}
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: web
          image: web:1
          env:
            - {name: DB_PASSWORD, value: hunter2}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: apps}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: old, namespace: apps}
data: {a: b}
`

func TestCompare(t *testing.T) {
	old := mkBundle(t, "dev", append(docs(t, katalog), obj(t, crdV1)))
	newDocs := docs(t, strings.Replace(strings.Replace(katalog, "replicas: 2", "replicas: 5", 1), "hunter2", "correct-horse", 1))
	newDocs = newDocs[:2] // the ConfigMap goes
	newDocs = append(newDocs, obj(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: new, namespace: apps}\ndata: {c: d}"))
	crd := obj(t, crdV1)
	delete(props(crd, 1), "color")
	newDocs = append(newDocs, crd)
	planned := mkBundle(t, "dev", newDocs, bundle.Pin{Name: "base", Type: "path", Location: "./katalog", ID: "sha256:" + strings.Repeat("b", 64)})

	p, err := Compare(&Reference{Name: "old.yaml", Bundle: old}, planned)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range p.Manifests {
		got = append(got, sign(m.Action)+" "+m.ID.String())
	}
	want := []string{
		"~ CustomResourceDefinition.apiextensions.k8s.io widgets.example.com",
		"+ ConfigMap apps/new",
		"- ConfigMap apps/old",
		"~ Deployment.apps apps/web",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("manifests:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if c := p.Counts(); c != (Counts{Add: 1, Remove: 1, Change: 2, Breaking: 1, Pins: 1}) {
		t.Errorf("counts %+v", c)
	}
	if got := p.Summary(); got != "1 to add, 1 to remove, 2 to change (1 breaking), 1 source pin moved" {
		t.Errorf("summary %q", got)
	}
	if p.Digest != planned.Digest || p.PreviousDigest != old.Digest || !p.HasChanges() {
		t.Errorf("digests %s %s", p.Digest, p.PreviousDigest)
	}
	for _, format := range []string{"text", "markdown", "json"} {
		var b bytes.Buffer
		switch format {
		case "text":
			err = p.WriteText(&b, TextOptions{})
		case "markdown":
			err = p.WriteMarkdown(&b)
		case "json":
			err = p.WriteJSON(&b)
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"hunter2", "correct-horse"} {
			if strings.Contains(b.String(), secret) {
				t.Errorf("%s output holds the secret %q:\n%s", format, secret, b.String())
			}
		}
		if !strings.Contains(b.String(), "spec.replicas") {
			t.Errorf("%s output lacks spec.replicas:\n%s", format, b.String())
		}
	}

	// Against itself: no changes.
	p, err = Compare(&Reference{Name: "same", Bundle: planned}, planned)
	if err != nil {
		t.Fatal(err)
	}
	if p.HasChanges() || len(p.Manifests) != 0 || p.Summary() != "no changes" {
		t.Errorf("a bundle against itself: %+v", p)
	}

	// Against nothing: all added.
	p, err = Compare(&Reference{Name: "bundles/dev.yaml"}, planned)
	if err != nil {
		t.Fatal(err)
	}
	if c := p.Counts(); !p.Empty || c.Add != 4 || c.Remove+c.Change != 0 || c.Pins != 1 {
		t.Errorf("against nothing: %+v", c)
	}

	// Another environment's bundle is refused.
	staging := mkBundle(t, "staging", docs(t, katalog))
	if _, err := Compare(&Reference{Name: "bundles/staging.yaml", Bundle: staging}, planned); err == nil ||
		err.Error() != "bundles/staging.yaml is environment staging's bundle, not dev's: a plan against it would compare two environments" {
		t.Errorf("another environment: %v", err)
	}
}

func TestJSONSchema(t *testing.T) {
	old := mkBundle(t, "dev", docs(t, katalog))
	planned := mkBundle(t, "dev", docs(t, strings.Replace(katalog, "replicas: 2", "replicas: 3", 1)))
	p, err := Compare(&Reference{Name: "old", Bundle: old}, planned)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := p.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got["format_version"] != float64(1) || got["changes"] != true {
		t.Errorf("format_version %v, changes %v", got["format_version"], got["changes"])
	}
	for _, k := range []string{"environment", "against", "against_empty", "bundle", "digest", "previous_digest", "summary", "counts", "pins", "manifests", "notes"} {
		if _, ok := got[k]; !ok {
			t.Errorf("no %q in %s", k, b.String())
		}
	}
	if pins := got["pins"].([]any); len(pins) != 0 {
		t.Errorf("pins: %v", pins)
	}
	m := got["manifests"].([]any)[0].(map[string]any)
	f := m["fields"].([]any)[0].(map[string]any)
	if f["path"] != "spec.replicas" || f["old"] != float64(2) || f["new"] != float64(3) || f["action"] != "change" || m["breaking"] == nil {
		t.Errorf("manifest %v", m)
	}
}

func TestMarkdownFences(t *testing.T) {
	if got := code("a`b"); got != "`` a`b ``" {
		t.Errorf("code: %s", got)
	}
	if got := fenceFor("x\n```\n"); got != "````" {
		t.Errorf("fence: %s", got)
	}
}

func TestSplitDocuments(t *testing.T) {
	got := bundle.SplitDocuments([]byte("a: 1\n---\nb: |\n  ---\n  x\n---\n\n---\nc: 3"))
	want := []string{"a: 1\n", "b: |\n  ---\n  x\n", "c: 3"}
	if len(got) != len(want) {
		t.Fatalf("got %q", got)
	}
	for i := range got {
		if string(got[i]) != want[i] {
			t.Errorf("doc %d: %q, want %q", i, got[i], want[i])
		}
	}
}

func TestColor(t *testing.T) {
	old := mkBundle(t, "dev", docs(t, katalog))
	planned := mkBundle(t, "dev", docs(t, strings.Replace(katalog, "replicas: 2", "replicas: 3", 1)))
	p, err := Compare(&Reference{Name: "old", Bundle: old}, planned)
	if err != nil {
		t.Fatal(err)
	}
	var plain, color bytes.Buffer
	if err := p.WriteText(&plain, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := p.WriteText(&color, TextOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "\x1b[") {
		t.Errorf("colour without Color:\n%s", plain.String())
	}
	for _, want := range []string{ansiYellow + "~" + ansiReset + " spec.replicas: 2 -> 3", ansiRed + "-  replicas: 2" + ansiReset, ansiGreen + "+  replicas: 3" + ansiReset} {
		if !strings.Contains(color.String(), want) {
			t.Errorf("no %q in\n%q", want, color.String())
		}
	}
	stripped := regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(color.String(), "")
	if stripped != plain.String() {
		t.Errorf("colour changes the text:\n%s\nwant\n%s", stripped, plain.String())
	}
}

func TestLiveCRDs(t *testing.T) {
	out := `apiVersion: v1
kind: List
items:
- apiVersion: apiextensions.k8s.io/v1
  kind: CustomResourceDefinition
  metadata:
    annotations:
      kubectl.kubernetes.io/last-applied-configuration: '{}'
    creationTimestamp: "2026-11-27T05:53:11Z"
    generation: 2
    managedFields: [{manager: kubectl, operation: Apply}]
    name: widgets.example.com
    resourceVersion: "200"
    uid: 82359737-3e6b-4cea-9190-e899258d85b1
  spec:
    conversion: {strategy: None}
    group: example.com
  status:
    storedVersions: [v1]
`
	crds, err := liveCRDs([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	want := obj(t, "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec: {group: example.com}")
	if got := encodeYAML(crds["widgets.example.com"]); got != encodeYAML(want) {
		t.Errorf("got\n%s\nwant\n%s", got, encodeYAML(want))
	}
	// One name: kubectl prints the object itself; none found: nothing.
	if crds, err := liveCRDs([]byte(encodeYAML(want))); err != nil || len(crds) != 1 {
		t.Errorf("one object: %v %v", crds, err)
	}
	if crds, err := liveCRDs(nil); err != nil || len(crds) != 0 {
		t.Errorf("empty: %v %v", crds, err)
	}
	if _, err := liveCRDs([]byte("kind: Pod\n")); err == nil {
		t.Error("a Pod was taken for a CRD")
	}
}

// TestReferenceFromAnOlderOrk: a reference bundle whose lock.yaml does not
// record the ConfigMap (an older ork's) is planned against, with a note;
// the same bundle altered is still refused.
func TestReferenceFromAnOlderOrk(t *testing.T) {
	b := mkBundle(t, "dev", docs(t, katalog))
	lock := b.Data[bundle.LockKey]
	i, j := strings.Index(lock, "configMap:"), strings.Index(lock, "sources:")
	if i < 0 || j < i {
		t.Fatalf("lock.yaml records no configMap:\n%s", lock)
	}
	b.Data[bundle.LockKey] = lock[:i] + lock[j:]
	b.Digest = bundle.Digest(b.Data)
	ref, err := loadVerified(encodeBundle(b), "bundles/dev.yaml")
	if err != nil {
		t.Fatalf("loadVerified: %v", err)
	}
	if len(ref.Notes) != 1 || !strings.Contains(ref.Notes[0], "written by an older ork") {
		t.Errorf("notes = %q", ref.Notes)
	}
	b.Data[bundle.KatalogKey] += "# altered\n"
	if _, err := loadVerified(encodeBundle(b), "bundles/dev.yaml"); !errors.Is(err, bundle.ErrTampered) {
		t.Errorf("an altered older bundle: %v", err)
	}
}
