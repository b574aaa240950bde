package suggest

import "testing"

func TestClosest(t *testing.T) {
	fields := []string{"replicas", "selector", "template", "strategy", "minReadySeconds"}
	commands := []string{"generate", "validate", "plan", "diff", "promote", "verify", "lock", "push", "pull", "init", "version", "completion", "help"}
	for _, tc := range []struct {
		word       string
		candidates []string
		want       string
	}{
		{"replcas", fields, "replicas"},
		{"replica", fields, "replicas"},
		{"Replicas", fields, "replicas"},
		{"selectr", fields, "selector"},
		{"replicas", fields, ""}, // itself: nothing to suggest
		{"colour", fields, ""},   // nothing near
		{"genrate", commands, "generate"},
		{"verfy", commands, "verify"},
		{"pln", commands, "plan"},
		{"plna", commands, "plan"}, // a swap is one edit
		{"evn", []string{"env", "file"}, "env"},
		{"vne", []string{"env"}, ""}, // not an adjacent swap: two edits in three letters
		{"bogus", commands, ""},
		{"x", commands, ""},
		{"", commands, ""},
		{"pul", commands, "pull"},
		{"lck", commands, "lock"},
		{"anything", nil, ""},
	} {
		if got := Closest(tc.word, tc.candidates); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}
