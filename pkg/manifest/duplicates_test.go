package manifest_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/orkdev/ork/pkg/manifest"
)

// dupString shows a Duplicate as the test tables write it.
func dupString(d manifest.Duplicate) string {
	return fmt.Sprintf("%d:%d %s %q first %d", d.Pos.Line, d.Pos.Col, strings.Join(d.Path, "."), d.Name, d.First)
}

func dupStrings(docs []*manifest.Doc) []string {
	var out []string
	for _, d := range docs {
		for _, dup := range d.Duplicates {
			out = append(out, d.ID.Name+" "+dupString(dup))
		}
	}
	return out
}

const dupDeployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      containers:
        - name: app
          env:
            - {name: A, value: "1"}
            - {name: B, value: "2"}
            - {name: A, value: "3"}
        - name: app
          ports:
            - {name: 1, containerPort: 80}
            - {name: 1, containerPort: 81}
            - {containerPort: 82}
            - {containerPort: 83}
`

// TestDecodeDuplicates: the items of named lists that repeat an earlier
// item's name are recorded with the path and position of their name,
// wherever the list is, however long, through aliases, and in a stream
// decoded in parts; lists whose items have no name, or a name that is not
// a string, have none.
func TestDecodeDuplicates(t *testing.T) {
	var long strings.Builder // longer than compared item by item; V3 four times
	long.WriteString("apiVersion: v1\nkind: Pod\nmetadata: {name: long}\nspec:\n  containers:\n    - name: app\n      env:\n")
	for i := range 20 {
		fmt.Fprintf(&long, "        - {name: V%d}\n", i)
	}
	long.WriteString("        - {name: V3}\n        - {name: V3}\n        - {name: V3}\n")
	var parts strings.Builder // more than the 64 KiB from which a stream is decoded in parts
	for i := range 600 {
		fmt.Fprintf(&parts, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c%03d}\ndata: {k: %s}\n---\n", i, strings.Repeat("v", 120))
	}
	partsLines := strings.Count(parts.String(), "\n")
	parts.WriteString("apiVersion: v1\nkind: Service\nmetadata: {name: last}\nspec:\n  ports:\n    - {name: web}\n    - {name: web}\n")
	tests := []struct {
		name, stream string
		want         []string
	}{
		{"containers and their env", dupDeployment, []string{
			`d 12:22 spec.template.spec.containers.0.env.2.name "A" first 0`,
			`d 13:17 spec.template.spec.containers.1.name "app" first 0`,
		}},
		{"none", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports: [{name: a}, {name: b}, {port: 1}, {port: 1}]\n", nil},
		{"a long list", long.String(), []string{
			`long 28:18 spec.containers.0.env.20.name "V3" first 3`,
			`long 29:18 spec.containers.0.env.21.name "V3" first 3`,
			`long 30:18 spec.containers.0.env.22.name "V3" first 3`,
		}},
		{"a list in a list is copied whole, not merged by name", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: l}\nm: [[{name: a}, {name: a}]]\n", nil},
		{"but a mapping's list inside it is merged by name", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: l}\nm: [[{l: [{name: a}, {name: a}]}]]\n", []string{
			`l 4:29 m.0.0.l.1.name "a" first 0`,
		}},
		{"through an alias, at each use", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nx: &l [{name: n}, {name: n}]\ny: *l\n", []string{
			`a 4:26 x.1.name "n" first 0`,
			`a 4:26 y.1.name "n" first 0`,
		}},
		{"decoded in parts", parts.String(), []string{
			fmt.Sprintf(`last %d:14 spec.ports.1.name "web" first 0`, partsLines+7),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := manifest.Decode("f.yaml", "base", []byte(tt.stream))
			if err != nil {
				t.Fatal(err)
			}
			if got := dupStrings(docs); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("duplicates:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestDuplicatesKnownAndInline: a piece decoded anew carries its
// duplicates, with positions in the whole file; an inline manifest (the
// Komposer's overrides) has its own.
func TestDuplicatesKnownAndInline(t *testing.T) {
	clean := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: clean}\n"
	_, known, err := manifest.DecodeKnown("f.yaml", "base", []byte(clean), manifest.Known{})
	if err != nil {
		t.Fatal(err)
	}
	docs, _, err := manifest.DecodeKnown("f.yaml", "base", []byte(clean+"---\n"+dupDeployment), known)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`d 16:22 spec.template.spec.containers.0.env.2.name "A" first 0`,
		`d 17:17 spec.template.spec.containers.1.name "app" first 0`,
	}
	if got := dupStrings(docs); !reflect.DeepEqual(got, want) {
		t.Errorf("DecodeKnown duplicates:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// A known piece's duplicates are where the piece is now, in this file.
	moved := "# a comment\n# and another\n---\n" + dupDeployment
	_, known, err = manifest.DecodeKnown("f.yaml", "base", []byte("---\n"+dupDeployment), manifest.Known{})
	if err != nil {
		t.Fatal(err)
	}
	fresh, _ := manifest.Decode("g.yaml", "base", []byte(moved))
	reused, _, _ := manifest.DecodeKnown("g.yaml", "base", []byte(moved), known)
	if len(fresh) != 1 || len(reused) != 1 || !reflect.DeepEqual(reused[0].Duplicates, fresh[0].Duplicates) || len(fresh[0].Duplicates) != 2 {
		t.Errorf("a known piece's duplicates: %v, decoded anew: %v", reused[0].Duplicates, fresh[0].Duplicates)
	}

	komposer := decodeOne(t, "apiVersion: ork.dev/v1alpha1\nkind: Komposer\nmetadata: {name: k}\noverrides:\n  - apiVersion: v1\n    kind: Service\n    metadata: {name: o}\n    spec:\n      ports: [{name: w}, {name: w}]\n")
	d, err := komposer.Inline([]string{"overrides", "0"}, "overrides")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := dupStrings([]*manifest.Doc{d}), []string{`o 9:33 spec.ports.1.name "w" first 0`}; !reflect.DeepEqual(got, want) {
		t.Errorf("Inline duplicates: %v, want %v", got, want)
	}
}
