package manifest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// fromKnown counts the documents of docs whose object is one of known's.
func fromKnown(docs []*Doc, known Known) int {
	objects := map[uintptr]bool{}
	for _, d := range known {
		for _, p := range d.Parts {
			objects[reflect.ValueOf(p.Object).Pointer()] = true
		}
	}
	n := 0
	for _, d := range docs {
		if objects[reflect.ValueOf(d.Object).Pointer()] {
			n++
		}
	}
	return n
}

func TestDecodeKnown(t *testing.T) {
	cm := func(name, extra string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\ndata:\n  a: '1'\n" + extra
	}
	for _, tc := range []struct {
		name   string
		before string
		after  string
		reused int // documents of after taken from before's pieces
	}{
		{"unchanged", cm("a", "") + "---\n" + cm("b", ""), cm("a", "") + "---\n" + cm("b", ""), 2},
		{"one document edited", cm("a", "") + "---\n" + cm("b", "") + "---\n" + cm("c", ""),
			cm("a", "") + "---\n" + cm("b", "  b: two\n  c: three\n") + "---\n" + cm("c", ""), 2},
		{"lines added above", cm("a", "") + "---\n" + cm("b", ""),
			"# a comment\n# and another\n" + cm("a", "") + "---\n" + cm("b", ""), 1},
		{"document removed", cm("a", "") + "---\n" + cm("b", "") + "---\n" + cm("c", ""), cm("a", "") + "---\n" + cm("c", ""), 2},
		{"leading marker and empty documents", "---\n" + cm("a", "") + "---\n---\n# only a comment\n---\n" + cm("b", ""),
			"---\n" + cm("a", "") + "---\n---\n# only a comment\n---\n" + cm("b", "") + "---\n", 2},
		{"documents on the marker's line", "--- {apiVersion: v1, kind: A, metadata: {name: a}}\n--- # b\n" + cm("b", "") + "--- {apiVersion: v1, kind: C, metadata: {name: c}}\n",
			"--- {apiVersion: v1, kind: A, metadata: {name: a}}\n--- # b, edited\n" + cm("b", "") + "--- {apiVersion: v1, kind: C, metadata: {name: c}}\n", 2},
		{"markers inside a block scalar are text", cm("a", "  s: |\n    ---\n    not a marker\n"), cm("a", "  s: |\n    ---\n    not a marker\n"), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			docs, known, err := DecodeKnown("f.yaml", "src", []byte(tc.before), nil)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := decodeWhole([]byte(tc.before))
			sameDocs(t, []byte(tc.before), docs, want)

			docs, next, err := DecodeKnown("f.yaml", "src", []byte(tc.after), known)
			if err != nil {
				t.Fatal(err)
			}
			want, _ = decodeWhole([]byte(tc.after))
			sameDocs(t, []byte(tc.after), docs, want)
			if got := fromKnown(docs, known); got != tc.reused {
				t.Errorf("%d documents taken from the earlier pieces, want %d", got, tc.reused)
			}
			if len(next) == 0 {
				t.Error("no pieces returned for the next time")
			}
		})
	}
}

// TestDecodeKnownErrors: a problem in a piece is reported as decoding the
// whole stream reports it; a stream that cannot be cut is decoded whole.
func TestDecodeKnownErrors(t *testing.T) {
	good := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
	for _, data := range []string{
		good + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: broken\n",
		good + "---\n- a list\n",
		good + "---\napiVersion: v1\nkind: ConfigMap\n",
	} {
		_, known, _ := DecodeKnown("f.yaml", "src", []byte(good), nil)
		_, _, err := DecodeKnown("f.yaml", "src", []byte(data), known)
		_, want := Decode("f.yaml", "src", []byte(data))
		if err == nil || want == nil || err.Error() != want.Error() {
			t.Errorf("%q: error %v, want %v", data, err, want)
		}
	}
	docs, known, err := DecodeKnown("f.yaml", "src", []byte("%YAML 1.1\n---\n"+good), nil)
	if err != nil || len(docs) != 1 || known != nil {
		t.Errorf("a stream with a directive: %d documents, pieces %v, %v; want it decoded whole", len(docs), known, err)
	}
}

// TestDecodeKnownDamaged: an entry of known that does not make a document
// is not used.
func TestDecodeKnownDamaged(t *testing.T) {
	data := []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
	_, known, err := DecodeKnown("f.yaml", "src", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	for sum := range known {
		known[sum] = Decoded{Count: 1, Parts: []Part{{Line: 1, Col: 1, Object: map[string]any{"kind": "NoName"}}}}
	}
	docs, _, err := DecodeKnown("f.yaml", "src", data, known)
	want, _ := decodeWhole(data)
	if err != nil {
		t.Fatal(err)
	}
	sameDocs(t, data, docs, want)
}

// FuzzDecodeKnown: a stream decoded piece by piece, with the pieces of
// another stream known, gives what the whole stream gives.
func FuzzDecodeKnown(f *testing.F) {
	a := "apiVersion: v1\nkind: A\nmetadata: {name: a}\n---\napiVersion: v1\nkind: B\nmetadata: {name: b}\n---\n---\napiVersion: v1\nkind: C\nmetadata: {name: c}\n"
	f.Add([]byte(a), []byte(strings.Replace(a, "name: b", "name: bb", 1)))
	f.Add([]byte("--- {apiVersion: v1, kind: A, metadata: {name: a}}\n--- |\n  text\n"), []byte("# c\n--- {apiVersion: v1, kind: A, metadata: {name: a}}\n"))
	f.Add([]byte(a), []byte(strings.Replace(a, "name: b}", "name: b}\nl: [{name: x}, {name: y}, {name: x}]", 1)))
	f.Fuzz(func(t *testing.T, before, after []byte) {
		_, known, err := DecodeKnown("f.yaml", "src", before, nil)
		if err != nil {
			known = nil
		}
		got, _, err := DecodeKnown("f.yaml", "src", after, known)
		want, wantErr := decodeWhole(after)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("pieces: %v, whole stream: %v\n%q", err, wantErr, after)
		}
		if err == nil {
			sameDocs(t, after, got, want)
		}
	})
}

// TestDecodeKnownAliases: yaml.v3 resolves an alias to an anchor of an
// earlier document of the same stream, so a piece's documents may depend
// on another piece's text. A stream with an anchor is decoded whole, and
// an edited anchor reaches its aliases (or their error) as without pieces.
func TestDecodeKnownAliases(t *testing.T) {
	doc := func(name, data string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + "}\ndata: " + data + "\n"
	}
	before := doc("a", "{x: &v one}") + "---\n" + doc("b", "{y: *v}")
	_, known, err := DecodeKnown("f.yaml", "src", []byte(before), Known{})
	if err != nil {
		t.Fatal(err)
	}
	for _, after := range []string{
		doc("a", "{x: &v two}") + "---\n" + doc("b", "{y: *v}"),
		doc("a", "{x: two}") + "---\n" + doc("b", "{y: *v}"),
	} {
		got, _, err := DecodeKnown("f.yaml", "src", []byte(after), known)
		want, wantErr := Decode("f.yaml", "src", []byte(after))
		if fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Fatalf("%q: error %v, want %v", after, err, wantErr)
		}
		if err == nil {
			sameDocs(t, []byte(after), got, want)
		}
	}
}
