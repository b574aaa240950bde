package orkestra

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"

	"go.yaml.in/yaml/v3"
)

// FuzzCheck feeds Check whatever YAML decodes to: it must not panic, must
// point every problem at a manifest it was given with a path, and must say
// the same thing twice. Seeds are in testdata/fuzz/FuzzCheck.
func FuzzCheck(f *testing.F) {
	f.Add([]byte(widgetCRD + "---\n" + katalog("    w: {apiTypes: {group: example.com, version: v1, kind: Widget, plural: widgets}, dependsOn: [w]}\n")))
	f.Fuzz(func(t *testing.T, data []byte) {
		var ms []map[string]any
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for len(ms) < 64 {
			var m map[string]any
			err := dec.Decode(&m)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return
			}
			if m != nil {
				ms = append(ms, m)
			}
		}
		got := Check(ms, []string{"gadgets.example.com"})
		for _, p := range got {
			if p.Index < 0 || p.Index >= len(ms) || len(p.Path) == 0 || p.Msg == "" {
				t.Fatalf("problem %+v for %d manifests", p, len(ms))
			}
		}
		if again := Check(ms, []string{"gadgets.example.com"}); !reflect.DeepEqual(got, again) {
			t.Fatalf("two checks differ:\n%+v\n%+v", got, again)
		}
	})
}
