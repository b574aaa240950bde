package bundle

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// readBack decodes a document the way ork reads manifests: ints as int64.
func readBack(t testing.TB, doc []byte) any {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal(doc, &n); err != nil {
		t.Fatalf("written YAML does not parse: %v\n%s", err, doc)
	}
	var v any
	if err := n.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return normalizeInts(v)
}

func normalizeInts(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeInts(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalizeInts(e)
		}
	case int:
		return int64(x)
	}
	return v
}

var tricky = []string{
	"", " ", "a ", " a", "true", "True", "YES", "no", "off", "y", "N", "null", "~", "Null",
	"1", "-1", "+1", "1.5", ".5", "1.", "1e3", "1E3", "0x1F", "0o17", "0b101", "017", "1_000", "0_B0", "0_x1F", "-_1", "+_0o7", "1__0",
	"12:30", "190:20:30", "2001-12-14", "2001-12-14t21:59:43.10-05:00", ".inf", "-.inf", ".NaN",
	"250m", "1Gi", "30s", "v1", "--optimized", "-", "--", "---", "...", "- a", "? a", ": a", "a: b",
	"a:b", "a #b", "a#b", "#a", "&a", "*a", "!a", "|", ">", "%a", "@a", "`a", "'a", "\"a", "a'b",
	"a\"b", "a\\b", "{a}", "[a]", "a{b}", "${secrets.X}", "$ENV", "http://x:80/y?z=1#f", "<<",
	"a\tb", "a\nb", "a\nb\n", "a\nb\nc\n", "a\n\nb\n", "\na\n", " a\nb\n", "a\n\n", "a\r\nb\n",
	"é", "日本", "\u2028", "\x00", "\x7f", "\ufeff", "a  b", "=", "<a", ",a", "a,b",
}

// TestWriterRoundTrip writes every tricky string as a key and a value, in
// maps and lists, and reads the document back with yaml.v3.
func TestWriterRoundTrip(t *testing.T) {
	for _, s := range tricky {
		doc := map[string]any{
			"value": s,
			"list":  []any{s, map[string]any{"k": s}, []any{s}},
			"nested": map[string]any{
				"deeper": map[string]any{"v": s},
			},
		}
		if s != "" {
			doc[s] = "key"
		}
		var w writer
		if err := w.document(doc); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if got := readBack(t, w.buf); !reflect.DeepEqual(got, doc) {
			t.Errorf("%q does not survive:\n%s", s, w.buf)
		}
	}
}

func TestWriterScalars(t *testing.T) {
	doc := map[string]any{
		"int": int64(-42), "big": int64(math.MaxInt64), "float": 1.5, "whole": 3.0,
		"tiny": 1e-300, "bool": true, "null": nil, "emptyMap": map[string]any{}, "emptyList": []any{},
		"nestedEmpty": []any{[]any{}, map[string]any{}},
	}
	var w writer
	if err := w.document(doc); err != nil {
		t.Fatal(err)
	}
	if got := readBack(t, w.buf); !reflect.DeepEqual(got, doc) {
		t.Errorf("scalars do not survive:\n%s\ngot %#v", w.buf, got)
	}
	for _, bad := range []any{math.Inf(1), math.NaN(), struct{}{}} {
		var w writer
		if err := w.document(map[string]any{"x": bad}); err == nil {
			t.Errorf("%v: want an error", bad)
		}
	}
}

// TestWriterMatchesYAMLv3 checks that for ordinary manifests the output is
// what yaml.v3 itself writes, so bundles read like any other YAML.
func TestWriterMatchesYAMLv3(t *testing.T) {
	m := map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web", "labels": map[string]any{"app.kubernetes.io/name": "web"}},
		"spec": map[string]any{"replicas": int64(3), "template": map[string]any{"spec": map[string]any{
			"containers": []any{map[string]any{"name": "web", "image": "nginx:1.27", "args": []any{"--port=80"},
				"env":       []any{map[string]any{"name": "A", "value": "${secrets.A}"}},
				"resources": map[string]any{"limits": map[string]any{"cpu": "250m", "memory": "1Gi"}}}},
		}}},
		"data": map[string]any{"script.sh": "#!/bin/sh\necho hi\nexit 0\n"},
	}
	var w writer
	if err := w.document(m); err != nil {
		t.Fatal(err)
	}
	want, err := marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(w.buf, want) {
		t.Errorf("writer:\n%s\nyaml.v3:\n%s", w.buf, want)
	}
}

// FuzzWriter writes arbitrary JSON documents and reads them back.
func FuzzWriter(f *testing.F) {
	for _, s := range tricky {
		b, _ := json.Marshal(map[string]any{"v": s, s: []any{s}})
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var v map[string]any
		if err := dec.Decode(&v); err != nil || v == nil {
			return
		}
		doc, ok := fromJSON(v).(map[string]any)
		if !ok {
			return
		}
		var w writer
		if err := w.document(doc); err != nil {
			return
		}
		if got := readBack(t, w.buf); !reflect.DeepEqual(got, doc) {
			t.Errorf("does not survive:\n%s\nwant %#v\ngot  %#v", w.buf, doc, got)
		}
	})
}

// fromJSON turns json.Number into int64 or float64, as ork's decoder does.
func fromJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = fromJSON(e)
		}
	case []any:
		for i, e := range x {
			x[i] = fromJSON(e)
		}
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, err := x.Float64()
		if err != nil || math.IsInf(f, 0) || strings.ContainsAny(string(x), "eE") && f == math.Trunc(f) && math.Abs(f) < 1e15 {
			return string(x)
		}
		return f
	}
	return v
}

func TestSeparators(t *testing.T) {
	for line, want := range map[string]bool{
		"---\n": true, "--- \n": true, "---\t\n": true, "--- # a comment\n": true, "---\r\n": true,
		"----\n": false, "--- a: 1\n": false, "---#x\n": true, " ---\n": false, "--\n": false,
	} {
		if got := isSeparator([]byte(line)); got != want {
			t.Errorf("isSeparator(%q) = %v, want %v", line, got, want)
		}
	}
}

// TestReservedWord: every reserved word, in any case, is one, and nothing
// else is (a reserved word longer than reservedWord reads would fail the
// first loop); plainSafe quotes what Unicode case folding makes one.
func TestReservedWord(t *testing.T) {
	for w := range reserved {
		for _, s := range []string{w, strings.ToUpper(w), strings.ToUpper(w[:1]) + w[1:]} {
			if !reservedWord(s) {
				t.Errorf("reservedWord(%q) = false", s)
			}
		}
	}
	for _, s := range []string{"", "tru", "truee", "nul", "Nulll", "-.in", "offf", "yes ", "falsey", "on\x00"} {
		if reservedWord(s) {
			t.Errorf("reservedWord(%q) = true", s)
		}
	}
	for _, s := range []string{"-.İnf", ".İNF", "trUe", "NULL"} {
		if plainSafe(s) {
			t.Errorf("plainSafe(%q) = true", s)
		}
	}
}

// TestLiteralSafe: which multi-line strings are written as literal blocks.
// A string whose first non-ASCII character is printable is decoded as
// runes from there on; any other character refuses the block.
func TestLiteralSafe(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want bool
	}{
		{"a\nb\n", true},
		{"a\tb\nc\n", true},
		{"é\nü\n", true},
		{"ab日本\nc\n", true},
		{"x\n\nz\n", true},
		{"a\x7f\nb\n", false},        // DEL
		{"a\x01\nb\n", false},        // a control character
		{"a\rb\nc\n", false},         // a carriage return
		{"a\u0085b\nc\n", false},     // NEL, a C1 control
		{"é\u2028\nx\n", false},      // a line separator after a printable non-ASCII one
		{"a\uFFFD\nb\n", false},      // the replacement character
		{"a\xff\nb\n", false},        // not UTF-8
		{"\uFEFFa\nb\n", false},      // a byte order mark
		{"a\n\tb\n", false},          // a line that starts with a tab
		{" a\nb\n", false},           // a leading space
		{"a\nb", false},              // no final newline
		{"a\nb\n\n", false},          // two
		{"é\nb\u00a0c\x7f\n", false}, // DEL after the first non-ASCII character
	} {
		if got := literalSafe(tt.s); got != tt.want {
			t.Errorf("literalSafe(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
	doc, err := EncodeDocument(map[string]any{"k": "é\nü\nz\n"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "k: |\n  é\n  ü\n  z\n"; string(doc) != want {
		t.Errorf("EncodeDocument = %q, want %q", doc, want)
	}
}

// TestLiteralRoom checks that a literal block is written in the room
// Encode makes for it, the text and an indentation per line: the
// ConfigMap's katalog.yaml is a megabyte, copied again whenever its buffer
// grows.
func TestLiteralRoom(t *testing.T) {
	for _, s := range []string{"a\nb\n", "a\n\nb\n", strings.Repeat("key: value\n", 1000)} {
		for _, ind := range []int{0, 2, 4} {
			w := writer{buf: make([]byte, 0, len(s)+ind*strings.Count(s, "\n"))}
			room := cap(w.buf)
			w.literal(s, ind)
			if cap(w.buf) != room {
				t.Errorf("literal(%.20q, %d) grew its buffer from %d to %d bytes, for %d written", s, ind, room, cap(w.buf), len(w.buf))
			}
		}
	}
}
