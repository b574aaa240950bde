package schema

import (
	"bytes"
	"os"
	"reflect"
	"testing"
)

// TestPrecompiledCheckers holds checkers.bin to what compiling the
// embedded schemas gives now; ORK_UPDATE=1 rewrites it. It fails after a
// change to the schemas, to the compiler or to CUE until the file is
// rewritten, so the checkers a binary embeds are the ones it would compile.
func TestPrecompiledCheckers(t *testing.T) {
	c, want := encodedCheckers(t)
	if os.Getenv("ORK_UPDATE") == "1" && !bytes.Equal(want, checkersFile) {
		if err := os.WriteFile("checkers.bin", want, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote checkers.bin (%d bytes)", len(want))
		return
	}
	if !bytes.Equal(want, checkersFile) {
		t.Fatalf("checkers.bin (%d bytes) is not what the embedded schemas compile to (%d bytes): run ORK_UPDATE=1 make test", len(checkersFile), len(want))
	}
	digest, decoded, err := decodeCheckers(checkersFile)
	if err != nil {
		t.Fatal(err)
	}
	if digest != checkersDigest() || precompiled() == nil {
		t.Fatal("checkers.bin is not taken for the embedded schemas")
	}
	if len(decoded) != len(c.kinds) {
		t.Errorf("%d kinds decoded, the schemas define %d", len(decoded), len(c.kinds))
	}
	if loadCheckers(checkersFile, checkersDigest()+"0") != nil {
		t.Error("checkers compiled from other schemas or another compiler are taken")
	}
	again, err := encodeCheckers(digest, decoded)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, checkersFile) {
		t.Error("decoded checkers do not write the bytes they were read from")
	}
}

// encodedCheckers compiles every kind's checker from the embedded schemas
// and writes them as checkers.bin holds them.
func encodedCheckers(t *testing.T) (*compiled, []byte) {
	t.Helper()
	c, err := compile()
	if err != nil {
		t.Fatal(err)
	}
	checkers, slow := c.compileCheckers()
	for key := range slow {
		checkers[key] = nil
	}
	data, err := encodeCheckers(checkersDigest(), checkers)
	if err != nil {
		t.Fatal(err)
	}
	return c, data
}

// decodedCheckers is what a run takes from checkers.bin once it is
// current: the checkers compiled now, written and read back.
func decodedCheckers(t *testing.T) (*compiled, map[[2]string]checker) {
	t.Helper()
	c, data := encodedCheckers(t)
	_, checkers, err := decodeCheckers(data)
	if err != nil {
		t.Fatal(err)
	}
	return c, checkers
}

// TestPrecompiledCheckersDamaged: a file of checkers that is cut short or
// altered is refused with an error, not a panic or a partial set.
func TestPrecompiledCheckersDamaged(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"another file", []byte("apiVersion: v1\n")},
		{"cut short", checkersFile[:len(checkersFile)/2]},
		{"bytes after", append(bytes.Clone(checkersFile), 'T')},
		{"unknown tag", append([]byte(checkersMagic+"\x00\x01\x02v1\x03Pod\x01"), 'Z')},
		{"struct reference ahead", append([]byte(checkersMagic+"\x00\x01\x02v1\x03Pod\x01"), 'R', 5)},
		{"bad regular expression", append([]byte(checkersMagic+"\x00\x01\x02v1\x03Pod\x01"), 'M', 1, '(', 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, kinds, err := decodeCheckers(tc.data); err == nil {
				t.Errorf("decoded %d kinds, want an error", len(kinds))
			}
		})
	}
}

// TestCompiledAtRunTime: a Validator that compiles its checkers from the
// schemas, as a binary whose checkers.bin is stale does, completes and
// rejects the corpus and its variants as one using the embedded checkers.
func TestCompiledAtRunTime(t *testing.T) {
	var objs []map[string]any
	for _, base := range corpus(t) {
		objs = append(objs, base)
		for i, v := range variants(base) {
			if i%7 == 0 {
				objs = append(objs, v)
			}
		}
	}
	if precompiled() == nil {
		t.Skip("checkers.bin is not current (TestPrecompiledCheckers)")
	}
	embedded, compiled := New(), New()
	compiled.compileAtRunTime = true
	want, err := embedded.Complete(deepCopyAll(objs))
	if err != nil {
		t.Fatal(err)
	}
	got, err := compiled.Complete(deepCopyAll(objs))
	if err != nil {
		t.Fatal(err)
	}
	if compiled.checkCUE == nil || embedded.checkCUE != nil && embedded.compiler.defs != nil {
		t.Fatal("one Validator did not compile its checkers, or the other did")
	}
	failed := 0
	for i := range objs {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("manifest %d: compiled at run time %v, embedded %v", i, got[i], want[i])
		}
		if len(want[i].Violations) > 0 {
			failed++
		}
	}
	if failed == 0 || failed == len(objs) {
		t.Errorf("%d of %d manifests failed: the variants do not test both verdicts", failed, len(objs))
	}
}

func deepCopyAll(objs []map[string]any) []map[string]any {
	out := make([]map[string]any, len(objs))
	for i, o := range objs {
		out[i] = deepCopy(o).(map[string]any)
	}
	return out
}

// BenchmarkPrecompiledCheckers is what a run pays for its checkers: decoding
// checkers.bin, against compiling the schemas and every kind's checker.
func BenchmarkPrecompiledCheckers(b *testing.B) {
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := decodeCheckers(checkersFile); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("compile", func(b *testing.B) {
		for b.Loop() {
			c, err := compile()
			if err != nil {
				b.Fatal(err)
			}
			c.compileCheckers()
		}
	})
}
