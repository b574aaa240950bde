package manifest

import (
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestDecimal: the integers read without yaml.v3's decoder are read as it
// reads them, and the others are left to it (a leading zero is octal to
// yaml.v3; signs, underscores and prefixes are its to read).
func TestDecimal(t *testing.T) {
	for _, tt := range []struct {
		s  string
		ok bool
	}{
		{"0", true}, {"-0", true}, {"8080", true}, {"-12", true}, {"999999999999999999", true},
		{"0755", false}, {"+1", false}, {"1_000", false}, {"0x1F", false}, {"0o17", false},
		{"9223372036854775807", false}, {"1e3", false}, {"", false}, {"-", false}, {"--1", false},
	} {
		got, ok := decimal(tt.s)
		if ok != tt.ok {
			t.Errorf("decimal(%q) ok = %v, want %v", tt.s, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		var want int64
		if err := (&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: tt.s}).Decode(&want); err != nil || got != want {
			t.Errorf("decimal(%q) = %d; yaml.v3 reads %d (%v)", tt.s, got, want, err)
		}
	}
}
