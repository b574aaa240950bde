package codec

import (
	"bytes"
	"math"
	"reflect"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    any
	}{
		{"null", nil},
		{"booleans", []any{true, false}},
		{"integers", []any{int64(0), int64(-1), int64(math.MaxInt64), int64(math.MinInt64)}},
		{"floats", []any{0.5, -1e300, math.Inf(1)}},
		{"strings", []any{"", "a", "ünïcode", "with\x00nul"}},
		{"manifest", map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "a"},
			"spec": map[string]any{"ports": []any{map[string]any{"port": int64(80), "name": nil}}}}},
		{"empty collections", map[string]any{"m": map[string]any{}, "l": []any{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, ok := AppendValue(nil, tc.v)
			if !ok {
				t.Fatalf("AppendValue(%v) failed", tc.v)
			}
			got, rest, err := ReadValue(data)
			if err != nil || len(rest) != 0 {
				t.Fatalf("ReadValue: %v, %d bytes left", err, len(rest))
			}
			if !reflect.DeepEqual(got, tc.v) {
				t.Errorf("read back %#v, want %#v", got, tc.v)
			}
		})
	}
}

// TestKeyOrder: maps with the same entries encode to the same bytes,
// whatever order they were filled in.
func TestKeyOrder(t *testing.T) {
	a := map[string]any{}
	b := map[string]any{}
	for i := range 100 {
		a[string(rune('a'+i%26))+string(rune('0'+i/26))] = int64(i)
	}
	for k, v := range a {
		b[k] = v
	}
	x, _ := AppendValue(nil, a)
	y, _ := AppendValue(nil, b)
	if !bytes.Equal(x, y) {
		t.Error("equal maps encode differently")
	}
}

func TestNotPlain(t *testing.T) {
	for _, v := range []any{int(1), map[string]string{}, struct{}{}, []any{uint8(1)}} {
		if _, ok := AppendValue(nil, v); ok {
			t.Errorf("AppendValue(%T) succeeded; only plain values are kept", v)
		}
	}
}

func TestDamaged(t *testing.T) {
	good, _ := AppendValue(nil, map[string]any{"a": []any{"b", int64(1)}})
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"cut short", good[:len(good)-1]},
		{"count past the end", []byte("l\xff\xff\x01")},
		{"unknown tag", []byte("x")},
		{"string past the end", []byte("s\x05ab")},
		{"float cut short", []byte("f\x00\x00")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if v, _, err := ReadValue(tc.data); err == nil {
				t.Errorf("ReadValue(%q) = %v, want an error", tc.data, v)
			}
		})
	}
	deep := bytes.Repeat([]byte("l\x01"), maxDepth+2)
	if _, _, err := ReadValue(append(deep, 'n')); err == nil {
		t.Error("a value nested deeper than maxDepth was read")
	}
}

// FuzzReadValue: whatever is read encodes to bytes that read back the same,
// and nothing panics (kept entries may be damaged in ways their checksum
// does not catch).
func FuzzReadValue(f *testing.F) {
	seed, _ := AppendValue(nil, map[string]any{"a": []any{"b", int64(-3), 0.25, true, false, nil}})
	f.Add(seed)
	f.Add([]byte("m\xff\xff\xff\xff\x0f"))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, _, err := ReadValue(data)
		if err != nil {
			return
		}
		once, ok := AppendValue(nil, v)
		if !ok {
			t.Fatalf("value read from %q does not encode", data)
		}
		v2, rest, err := ReadValue(once)
		if err != nil || len(rest) != 0 {
			t.Fatalf("%q: %v, %d bytes left", once, err, len(rest))
		}
		if twice, _ := AppendValue(nil, v2); !bytes.Equal(once, twice) {
			t.Errorf("value %q reads back as %q", once, twice)
		}
	})
}

func TestReaderNumbers(t *testing.T) {
	for _, tc := range []struct {
		name      string
		data      []byte
		byteVal   byte
		uvarint   uint64
		wantError bool
	}{
		{"both", []byte{'S', 0x90, 0x03}, 'S', 400, false},
		{"a number larger than what is left", []byte{'R', 0xe8, 0x07}, 'R', 1000, false},
		{"no byte", nil, 0, 0, true},
		{"number cut short", []byte{'x', 0x80}, 'x', 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(tc.data)
			b := r.Byte()
			n := r.Uvarint()
			if (r.Err() != nil) != tc.wantError {
				t.Fatalf("error %v, want one: %v", r.Err(), tc.wantError)
			}
			if !tc.wantError && (b != tc.byteVal || n != tc.uvarint) {
				t.Errorf("read %q %d, want %q %d", b, n, tc.byteVal, tc.uvarint)
			}
		})
	}
}
