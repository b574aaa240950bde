package manifest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// decodeWhole decodes data as one stream, as Decode does for small files.
func decodeWhole(data []byte) ([]*Doc, error) {
	docs, _, err := decodeStream("f.yaml", "src", &srcFile{data: data}, data, 0)
	return docs, err
}

// sameDocs compares what two decodings found, positions and stream
// indices included (Position re-reads the document by its index).
func sameDocs(t *testing.T, data []byte, got, want []*Doc) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d documents in parts, %d whole\n%s", len(got), len(want), data)
	}
	for i := range got {
		g, w := got[i], want[i]
		if !reflect.DeepEqual(g.Object, w.Object) || g.ID != w.ID || g.Pos != w.Pos || g.index != w.index {
			t.Fatalf("document %d: parts give %v at %v (index %d), whole %v at %v (index %d)\n%s", i, g.ID, g.Pos, g.index, w.ID, w.Pos, w.index, data)
		}
		if !reflect.DeepEqual(g.Duplicates, w.Duplicates) {
			t.Fatalf("document %d: duplicate names %v in parts, %v whole\n%s", i, g.Duplicates, w.Duplicates, data)
		}
		gp, gok := g.Position([]string{"metadata", "name"})
		wp, wok := w.Position([]string{"metadata", "name"})
		if gp != wp || gok != wok {
			t.Fatalf("document %d: metadata.name at %v (%v) in parts, %v (%v) whole", i, gp, gok, wp, wok)
		}
	}
}

func TestDecodeParts(t *testing.T) {
	doc := func(i int) string {
		return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c%d\ndata:\n  text: |\n    line one\n    line two\n", i)
	}
	many := func(sep string, n int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteString(sep)
			}
			b.WriteString(doc(i))
		}
		return b.String()
	}
	tests := []struct {
		name  string
		data  string
		split bool // whether it is decoded in parts
	}{
		{"separators", many("---\n", 40), true},
		{"leading marker", "---\n" + many("---\n", 40), true},
		{"empty documents", many("---\n---\n", 40), true},
		{"comments only between markers", many("---\n# nothing here\n---\n", 40), true},
		{"markers with content", strings.ReplaceAll(many("--- ", 40), "--- apiVersion", "--- \napiVersion"), true},
		{"CRLF", strings.ReplaceAll(many("---\n", 40), "\n", "\r\n"), true},
		{"flow documents", strings.Repeat("--- {apiVersion: v1, kind: ConfigMap, metadata: {name: x}}\n", 1)[4:] + many("---\n", 40), true},
		{"document end markers", many("...\n---\n", 40), false},
		{"directive", "%YAML 1.2\n---\n" + many("---\n", 40), false},
		{"marker-like text", many("---x: 1\n", 40), false},
		{"duplicate names in a late part", many("---\n", 40) + "---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports:\n    - {name: a}\n    - {name: a}\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte(tt.data)
			parts := splitStream(data, 4, 64)
			if got := len(parts) > 1; got != tt.split {
				t.Fatalf("split into %d parts, want split=%v", len(parts), tt.split)
			}
			want, err := decodeWhole(data)
			if !tt.split {
				return
			}
			got, _, ok := decodeParts("f.yaml", "src", &srcFile{data: data}, parts)
			if ok != (err == nil) {
				t.Fatalf("parts ok=%v, whole error %v", ok, err)
			}
			if ok {
				sameDocs(t, data, got, want) // duplicate names too
			}
		})
	}
}

// TestDecodePartsFallsBack: a problem in any part makes Decode decode the
// whole stream, so the error names the same line as ever.
func TestDecodePartsFallsBack(t *testing.T) {
	var b strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c%d}\n", i)
	}
	b.WriteString("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: broken\n")
	data := []byte(b.String())
	if len(splitStream(data, 2, minPart)) < 2 {
		t.Fatal("the test stream is not split")
	}
	_, err := Decode("f.yaml", "src", data)
	_, want := decodeWhole(data)
	if err == nil || want == nil || err.Error() != want.Error() {
		t.Fatalf("Decode error %v, want %v", err, want)
	}
}

// FuzzDecodeParts: whenever a stream decodes in parts, it gives what the
// whole stream gives.
func FuzzDecodeParts(f *testing.F) {
	f.Add([]byte("apiVersion: v1\nkind: A\nmetadata: {name: a}\n---\napiVersion: v1\nkind: B\nmetadata: {name: b}\n---\n---\napiVersion: v1\nkind: C\nmetadata: {name: c}\n"))
	f.Add([]byte("--- {apiVersion: v1, kind: A, metadata: {name: a}}\n--- |\n  text\n---\napiVersion: v1\nkind: B\nmetadata: {name: b}\n"))
	f.Add([]byte("apiVersion: v1\nkind: A\nmetadata: {name: a}\n---\napiVersion: v1\nkind: B\nmetadata: {name: b}\nl: [{name: x}, {name: y}, {name: x}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		parts := splitStream(data, 4, 1)
		if len(parts) < 2 {
			return
		}
		got, _, ok := decodeParts("f.yaml", "src", &srcFile{data: data}, parts)
		if !ok {
			return
		}
		want, err := decodeWhole(data)
		if err != nil {
			t.Fatalf("parts decode, the whole stream fails: %v\n%q", err, data)
		}
		sameDocs(t, data, got, want)
	})
}
