package manifest_test

import (
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/orkdev/ork/pkg/manifest"
)

func decodeOne(t *testing.T, src string) *manifest.Doc {
	t.Helper()
	docs, err := manifest.Decode("f.yaml", "base", []byte(src))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if len(docs) != 1 {
		t.Fatalf("Decode returned %d documents, want 1", len(docs))
	}
	return docs[0]
}

func TestDecodeIdentity(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want manifest.ID
	}{
		{
			name: "core group",
			src:  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: apps\n",
			want: manifest.ID{Group: "", Kind: "ConfigMap", Namespace: "apps", Name: "cfg"},
		},
		{
			name: "named group",
			src:  "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: apps\n",
			want: manifest.ID{Group: "apps", Kind: "Deployment", Namespace: "apps", Name: "web"},
		},
		{
			name: "dotted group, no namespace",
			src:  "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: katalogs.orkestra.dev\n",
			want: manifest.ID{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition", Name: "katalogs.orkestra.dev"},
		},
		{
			name: "JSON document",
			src:  `{"apiVersion": "ork.dev/v1alpha1", "kind": "Katalog", "metadata": {"name": "k", "namespace": "n"}}`,
			want: manifest.ID{Group: "ork.dev", Kind: "Katalog", Namespace: "n", Name: "k"},
		},
		{
			name: "namespace that is not a string is no namespace",
			src:  "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n  namespace: null\n",
			want: manifest.ID{Kind: "Namespace", Name: "apps"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := decodeOne(t, tt.src)
			if doc.ID != tt.want {
				t.Errorf("ID = %#v, want %#v", doc.ID, tt.want)
			}
			if doc.Source != "base" {
				t.Errorf("Source = %q, want base", doc.Source)
			}
			if doc.Pos.File != "f.yaml" || doc.Pos.Line != 1 {
				t.Errorf("Pos = %v, want f.yaml:1", doc.Pos)
			}
			id, err := manifest.IDOf(doc.Object)
			if err != nil || id != tt.want {
				t.Errorf("IDOf = %#v, %v; want %#v", id, err, tt.want)
			}
		})
	}
}

func TestGroup(t *testing.T) {
	for apiVersion, want := range map[string]string{
		"v1":                      "",
		"apps/v1":                 "apps",
		"apiextensions.k8s.io/v1": "apiextensions.k8s.io",
		"":                        "",
	} {
		if got := manifest.Group(apiVersion); got != want {
			t.Errorf("Group(%q) = %q, want %q", apiVersion, got, want)
		}
	}
}

func TestIDOrder(t *testing.T) {
	ids := []manifest.ID{
		{Group: "b", Kind: "A", Name: "a"},
		{Group: "", Kind: "Z", Name: "a"},
		{Group: "a", Kind: "B", Namespace: "y", Name: "a"},
		{Group: "a", Kind: "B", Namespace: "x", Name: "b"},
		{Group: "a", Kind: "B", Namespace: "x", Name: "a"},
		{Group: "a", Kind: "A", Namespace: "z", Name: "z"},
	}
	manifest.SortIDs(ids)
	want := []manifest.ID{
		{Group: "", Kind: "Z", Name: "a"},
		{Group: "a", Kind: "A", Namespace: "z", Name: "z"},
		{Group: "a", Kind: "B", Namespace: "x", Name: "a"},
		{Group: "a", Kind: "B", Namespace: "x", Name: "b"},
		{Group: "a", Kind: "B", Namespace: "y", Name: "a"},
		{Group: "b", Kind: "A", Name: "a"},
	}
	if !reflect.DeepEqual(ids, want) {
		t.Errorf("SortIDs =\n%v\nwant\n%v", ids, want)
	}
	if got := (manifest.ID{Group: "apps", Kind: "Deployment", Namespace: "n", Name: "w"}).String(); got != "Deployment.apps n/w" {
		t.Errorf("String() = %q", got)
	}
	if got := (manifest.ID{Kind: "Namespace", Name: "n"}).String(); got != "Namespace n" {
		t.Errorf("String() = %q", got)
	}
}

func TestDecodeValues(t *testing.T) {
	const head = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"
	tests := []struct {
		name string
		src  string // the value of key v
		want any
	}{
		{"integer", "3", int64(3)},
		{"negative integer", "-42", int64(-42)},
		{"hex integer", "0x1F", int64(31)},
		{"max int64", "9223372036854775807", int64(9223372036854775807)},
		{"float", "1.5", 1.5},
		{"float with integral value", "2.0", 2.0},
		{"exponent", "1e3", 1000.0},
		{"true", "true", true},
		{"false", "false", false},
		{"null", "null", nil},
		{"tilde", "~", nil},
		{"string", "hello", "hello"},
		{"quoted number", `"3"`, "3"},
		{"tagged string", "!!str 3", "3"},
		{"date stays a string", "2024-01-02", "2024-01-02"},
		{"timestamp stays a string", "2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"},
		{"yes stays a string", "yes", "yes"},
		{"octal-looking string", "0o17", int64(15)},
		{"list", "[1, a, 2.5]", []any{int64(1), "a", 2.5}},
		{"map", "{a: 1}", map[string]any{"a": int64(1)}},
		{"custom tag keeps the string", "!secret value", "value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := decodeOne(t, head+"v: "+tt.src+"\n")
			got, ok := doc.Object["v"]
			if !ok {
				t.Fatalf("no key v in %v", doc.Object)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("v = %#v (%T), want %#v (%T)", got, got, tt.want, tt.want)
			}
		})
	}
}

func TestDecodeSkipsEmptyDocuments(t *testing.T) {
	const cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n"
	tests := []struct {
		name  string
		src   string
		names []string
	}{
		{"empty input", "", nil},
		{"only comments", "# nothing here\n", nil},
		{"only separators", "---\n---\n", nil},
		{"null documents", "null\n---\n~\n---\n", nil},
		{"empty documents around manifests", "---\n" + strings.ReplaceAll(cm, "%s", "a") + "---\n---\nnull\n---\n" + strings.ReplaceAll(cm, "%s", "b") + "---\n", []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := manifest.Decode("f.yaml", "", []byte(tt.src))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			var names []string
			for _, d := range docs {
				names = append(names, d.ID.Name)
			}
			if !reflect.DeepEqual(names, tt.names) {
				t.Errorf("names = %q, want %q", names, tt.names)
			}
		})
	}
}

func TestDecodeSecondDocumentPosition(t *testing.T) {
	src := "apiVersion: v1\nkind: A\nmetadata: {name: a}\n---\n# comment\napiVersion: v1\nkind: B\nmetadata: {name: b}\n"
	docs, err := manifest.Decode("f.yaml", "", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 {
		t.Fatalf("got %d documents", len(docs))
	}
	if got := docs[1].Pos; got.Line != 6 || got.Col != 1 {
		t.Errorf("second document at %v, want f.yaml:6:1", got)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // regular expressions, each matched by the error
	}{
		{
			name: "duplicate key",
			src:  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  name: y\n",
			want: []string{`^f\.yaml:5:3: duplicate key "name" \(source "base"\)$`},
		},
		{
			name: "duplicate key in JSON",
			src:  `{"apiVersion": "v1", "kind": "A", "metadata": {"name": "x"}, "a": 1, "a": 2}`,
			want: []string{`^f\.yaml:1:\d+: duplicate key "a"`},
		},
		{
			name: "duplicate key written quoted and plain",
			src:  "apiVersion: v1\nkind: A\nmetadata:\n  name: x\ndata:\n  k: 1\n  \"k\": 2\n",
			want: []string{`^f\.yaml:7:3: duplicate key "k"`},
		},
		{
			name: "merge key",
			src:  "base: &b {x: 1}\napiVersion: v1\nkind: A\nmetadata:\n  name: x\nspec:\n  <<: *b\n",
			want: []string{`^f\.yaml:7:3: YAML merge keys \(<<\) are not supported`},
		},
		{
			name: "list document",
			src:  "- a\n- b\n",
			want: []string{`^f\.yaml:1:1: document 1 is a list, not a mapping`},
		},
		{
			name: "scalar document",
			src:  "apiVersion: v1\nkind: A\nmetadata: {name: a}\n---\njust text\n",
			want: []string{`^f\.yaml:5:1: document 2 is a scalar, not a mapping`},
		},
		{
			name: "missing apiVersion",
			src:  "kind: A\nmetadata:\n  name: a\n",
			want: []string{`^f\.yaml:1:1: document has no apiVersion \(source "base"\)$`},
		},
		{
			name: "missing kind",
			src:  "apiVersion: v1\nmetadata:\n  name: a\n",
			want: []string{`^f\.yaml:1:1: document has no kind \(source "base"\)$`},
		},
		{
			name: "missing metadata",
			src:  "apiVersion: v1\nkind: A\n",
			want: []string{`^f\.yaml:1:1: document has no metadata\.name \(source "base"\)$`},
		},
		{
			name: "missing metadata.name",
			src:  "apiVersion: v1\nkind: A\nmetadata:\n  namespace: n\n",
			want: []string{`document has no metadata\.name`},
		},
		{
			name: "empty name",
			src:  "apiVersion: v1\nkind: A\nmetadata:\n  name: \"\"\n",
			want: []string{`document has no metadata\.name`},
		},
		{
			name: "everything missing",
			src:  "spec: {}\n",
			want: []string{`document has no apiVersion, kind, metadata\.name`},
		},
		{
			name: "every bad document is reported",
			src:  "apiVersion: v1\nkind: A\n---\n- x\n---\napiVersion: v1\nkind: B\nmetadata: {name: b}\n---\nkind: C\nmetadata: {name: c}\n",
			want: []string{
				`f\.yaml:1:1: document has no metadata\.name`,
				`f\.yaml:4:1: document 2 is a list`,
				`f\.yaml:10:1: document has no apiVersion`,
			},
		},
		{
			name: "infinity",
			src:  "apiVersion: v1\nkind: A\nmetadata: {name: a}\nv: .inf\n",
			want: []string{`^f\.yaml:4:4: \.inf is not a number JSON can hold`},
		},
		{
			name: "binary",
			src:  "apiVersion: v1\nkind: A\nmetadata: {name: a}\nv: !!binary aGVsbG8=\n",
			want: []string{`^f\.yaml:4:4: binary values are not supported`},
		},
		{
			name: "integer overflow",
			src:  "apiVersion: v1\nkind: A\nmetadata: {name: a}\nv: !!int 18446744073709551615\n",
			want: []string{`^f\.yaml:4:4: integer 18446744073709551615 does not fit in 64 bits`},
		},
		{
			name: "complex key",
			src:  "apiVersion: v1\nkind: A\nmetadata: {name: a}\n? [a, b]\n: c\n",
			want: []string{`^f\.yaml:4:3: mapping key is a list, not a string`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := manifest.Decode("f.yaml", "base", []byte(tt.src))
			if err == nil {
				t.Fatal("Decode succeeded, want an error")
			}
			for _, w := range tt.want {
				if !matchesAny(err, w) {
					t.Errorf("error %q\ndoes not match %s", err, w)
				}
			}
		})
	}
}

// matchesAny reports whether err, or one of the errors it joins, matches
// the regular expression re.
func matchesAny(err error, re string) bool {
	r := regexp.MustCompile(re)
	if r.MatchString(err.Error()) {
		return true
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if r.MatchString(e.Error()) {
				return true
			}
		}
	}
	return false
}

func TestDecodeErrorType(t *testing.T) {
	_, err := manifest.Decode("dir/f.yaml", "overlay", []byte("apiVersion: v1\nkind: A\nmetadata:\n  name: x\n  name: y\n"))
	var e *manifest.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *manifest.Error", err, err)
	}
	want := manifest.Pos{File: "dir/f.yaml", Line: 5, Col: 3}
	if e.Pos != want || e.Source != "overlay" {
		t.Errorf("error at %v from %q, want %v from overlay", e.Pos, e.Source, want)
	}
}

func TestDecodeMalformedYAML(t *testing.T) {
	tests := []struct {
		name string
		src  string
		line string
	}{
		{"unclosed flow list", "apiVersion: v1\nkind: [\n", "2"},
		{"bad indentation", "apiVersion: v1\nkind: a\n  b: c\n", "3"},
		{"tab indentation", "apiVersion: v1\nmetadata:\n\tname: x\n", "3"},
		{"unterminated quote", "apiVersion: v1\nkind: A\nmetadata:\n  name: 'x\n", "4"},
		{"syntax error in a later document", "apiVersion: v1\nkind: A\nmetadata: {name: a}\n---\nkind: [\n", "5"},
		// yaml.v3 reports these parser errors a line early (0-based).
		{"unclosed flow list, lines after it", "apiVersion: v1\nkind: A\nmetadata:\n  name: a\ndata:\n  name: [my-platform\n  other: x\n", "6"},
		{"unclosed flow list at the end", "apiVersion: v1\nkind: A\nmetadata:\n  name: a\ndata:\n  name: [my-platform\n\n\n", "6"},
		{"unclosed flow map", "apiVersion: v1\nkind: {a: 1\nmetadata: x\n", "2"},
		{"unclosed flow list on line 1", "[a\n", "1"},
		{"list item in a mapping", "apiVersion: v1\n- b\n", "2"},
		{"key in a block list", "apiVersion: v1\nitems:\n  - x\n  y: 2\n", "3"},
	}
	checkYAMLErrorLines(t, tests)
}

// TestDecodeYAMLErrorsWithoutLine covers the syntax errors for which
// yaml.v3 gives no line: the contract is still that every error about user
// input names its line.
func TestDecodeYAMLErrorsWithoutLine(t *testing.T) {
	tests := []struct {
		name string
		src  string
		line string
	}{
		{"undefined alias", "apiVersion: v1\nkind: A\nmetadata:\n  name: *nowhere\n", "4"},
		{"control character", "apiVersion: v1\nkind: A\nmetadata:\n  name: \x01\n", "4"},
	}
	checkYAMLErrorLines(t, tests)
}

func checkYAMLErrorLines(t *testing.T, tests []struct {
	name string
	src  string
	line string
}) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := manifest.Decode("f.yaml", "base", []byte(tt.src))
			if err == nil {
				t.Fatal("Decode succeeded, want an error")
			}
			if !regexp.MustCompile(`^f\.yaml:` + tt.line + `(:\d+)?: invalid YAML: .+ \(source "base"\)$`).MatchString(err.Error()) {
				t.Errorf("error %q does not name f.yaml:%s", err, tt.line)
			}
		})
	}
}

func TestDecodeAliases(t *testing.T) {
	src := "apiVersion: v1\nkind: A\nmetadata:\n  name: a\n  labels: &l {app: web}\nspec:\n  selector: *l\n"
	doc := decodeOne(t, src)
	spec := doc.Object["spec"].(map[string]any)
	if want := map[string]any{"app": "web"}; !reflect.DeepEqual(spec["selector"], want) {
		t.Errorf("selector = %v, want %v", spec["selector"], want)
	}
}

func TestDecodeAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: A\nmetadata: {name: a}\n")
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		b.WriteString("a")
		b.WriteString(string(rune('0' + i)))
		b.WriteString(": &a")
		b.WriteString(string(rune('0' + i)))
		b.WriteString(" [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a")
			b.WriteString(string(rune('0' + i - 1)))
		}
		b.WriteString("]\n")
	}
	_, err := manifest.Decode("f.yaml", "", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "too many alias expansions") {
		t.Errorf("Decode of a billion laughs = %v, want too many alias expansions", err)
	}
}

func TestDecodeDeepNesting(t *testing.T) {
	src := "apiVersion: v1\nkind: A\nmetadata: {name: a}\nv: " + strings.Repeat("[", 300) + strings.Repeat("]", 300) + "\n"
	_, err := manifest.Decode("f.yaml", "", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "deeper than") {
		t.Errorf("Decode of 300 nested lists = %v, want a nesting error", err)
	}
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: app
          image: app:1
          env:
            - name: A
              value: "1"
        - name: proxy
          image: proxy:1
`

func TestPosition(t *testing.T) {
	doc := decodeOne(t, "# leading comment\n"+deployment)
	tests := []struct {
		path      []string
		line, col int
		found     bool
	}{
		{nil, 2, 1, true},
		{[]string{"spec", "replicas"}, 7, 13, true},
		{[]string{"spec", "template", "spec", "containers"}, 11, 9, true},
		{[]string{"spec", "template", "spec", "containers", "name=app"}, 11, 11, true},
		{[]string{"spec", "template", "spec", "containers", "name=proxy", "image"}, 17, 18, true},
		{[]string{"spec", "template", "spec", "containers", "1", "image"}, 17, 18, true},
		{[]string{"spec", "template", "spec", "containers", "name=app", "env", "name=A", "value"}, 15, 22, true},
		{[]string{"spec", "template", "spec", "containers", "0", "env", "0", "value"}, 15, 22, true},
		{[]string{"spec", "missing"}, 2, 1, false},
		{[]string{"spec", "template", "spec", "containers", "name=nope"}, 2, 1, false},
		{[]string{"spec", "template", "spec", "containers", "7"}, 2, 1, false},
		{[]string{"spec", "template", "spec", "containers", "-1"}, 2, 1, false},
		{[]string{"spec", "replicas", "deeper"}, 2, 1, false},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.path, "."), func(t *testing.T) {
			got, found := doc.Position(tt.path)
			want := manifest.Pos{File: "f.yaml", Line: tt.line, Col: tt.col}
			if got != want || found != tt.found {
				t.Errorf("Position(%q) = %v, %v; want %v, %v", tt.path, got, found, want, tt.found)
			}
		})
	}
}

func TestPosString(t *testing.T) {
	for _, tt := range []struct {
		pos  manifest.Pos
		want string
	}{
		{manifest.Pos{}, ""},
		{manifest.Pos{File: "f.yaml"}, "f.yaml"},
		{manifest.Pos{File: "f.yaml", Line: 3}, "f.yaml:3"},
		{manifest.Pos{File: "f.yaml", Line: 3, Col: 7}, "f.yaml:3:7"},
	} {
		if got := tt.pos.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.pos, got, tt.want)
		}
	}
}

func TestValue(t *testing.T) {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("a: [1, 2.5, x, null]\nb: {c: true}\n"), &n); err != nil {
		t.Fatal(err)
	}
	got, err := manifest.Value("f.yaml", "", &n)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a": []any{int64(1), 2.5, "x", nil}, "b": map[string]any{"c": true}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Value = %#v, want %#v", got, want)
	}
}

func TestInline(t *testing.T) {
	src := "apiVersion: ork.dev/v1alpha1\nkind: Komposer\nmetadata: {name: k}\noverrides:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: cfg\n  - just a string\n  - apiVersion: v1\n"
	doc := decodeOne(t, src)
	d, err := doc.Inline([]string{"overrides", "0"}, "overrides")
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != (manifest.ID{Kind: "ConfigMap", Name: "cfg"}) || d.Pos.Line != 5 || d.Pos.Col != 5 || d.Source != "overrides" {
		t.Errorf("Inline = %v at %v from %q", d.ID, d.Pos, d.Source)
	}
	if p, ok := d.Position([]string{"metadata", "name"}); !ok || p.Line != 8 {
		t.Errorf("inline Position(metadata.name) = %v, %v; want line 8", p, ok)
	}
	if _, err := doc.Inline([]string{"overrides", "1"}, "overrides"); err == nil || !strings.Contains(err.Error(), "f.yaml:9:5") {
		t.Errorf("Inline of a scalar = %v, want an error at f.yaml:9:5", err)
	}
	if _, err := doc.Inline([]string{"overrides", "2"}, "overrides"); err == nil || !strings.Contains(err.Error(), "f.yaml:10:5: document has no kind, metadata.name") {
		t.Errorf("Inline of an incomplete manifest = %v", err)
	}
	if _, err := doc.Inline([]string{"overrides", "3"}, "overrides"); err == nil {
		t.Errorf("Inline of a missing item succeeded")
	}
}

// TestDecodeAliasExpansionBoundsValues checks that the alias limit bounds
// the values aliases produce, not only how many aliases are followed: here
// 100,100 aliases (well under the limit) expand to 2,000,000 scalars. With
// wider lists the same few kilobytes expand to billions of values, so a
// limit on alias count alone does not stop a "billion laughs" document.
func TestDecodeAliasExpansionBoundsValues(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: A\nmetadata: {name: a}\n")
	b.WriteString("a0: &a0 [" + strings.TrimSuffix(strings.Repeat("x, ", 20), ", ") + "]\n")
	b.WriteString("a1: &a1 [" + strings.TrimSuffix(strings.Repeat("*a0, ", 100), ", ") + "]\n")
	b.WriteString("a2: [" + strings.TrimSuffix(strings.Repeat("*a1, ", 1000), ", ") + "]\n")
	_, err := manifest.Decode("f.yaml", "", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "too many alias expansions") {
		t.Errorf("Decode of %d bytes expanding to 2,000,000 values = %v, want too many alias expansions", b.Len(), err)
	}
}

// TestPositionAfterSkippedDocuments checks positions in a stream where
// empty, null and rejected documents come before the one asked about.
func TestPositionAfterSkippedDocuments(t *testing.T) {
	src := "---\n---\nnull\n---\n- a list\n---\n# only a comment\n---\napiVersion: v1\nkind: A\nmetadata: {name: a}\nspec: {x: 1}\n---\n" + deployment
	docs, err := manifest.Decode("f.yaml", "", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "is a list") {
		t.Fatalf("Decode = %v, want the list rejected", err)
	}
	if len(docs) != 2 {
		t.Fatalf("got %d documents, want 2", len(docs))
	}
	if p, ok := docs[0].Position([]string{"spec", "x"}); !ok || p.Line != 12 || p.Col != 11 {
		t.Errorf("first document: Position(spec.x) = %v, %v; want f.yaml:12:11", p, ok)
	}
	if p, ok := docs[1].Position([]string{"spec", "template", "spec", "containers", "name=proxy", "image"}); !ok || p.Line != 29 || p.Col != 18 {
		t.Errorf("second document: Position(image of proxy) = %v, %v; want f.yaml:29:18", p, ok)
	}
}
