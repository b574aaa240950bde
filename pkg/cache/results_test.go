package cache

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// resultsIn opens a cache in a fresh directory and its results store for
// version and schema; other gives the stores of other ones in the same
// directory.
func resultsIn(t *testing.T, version, schema string) (r *Results, other func(version, schema string) *Results) {
	t.Helper()
	c, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	other = func(version, schema string) *Results {
		t.Helper()
		o, err := c.Results(version, schema)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	return other(version, schema), other
}

func TestResults(t *testing.T) {
	r, other := resultsIn(t, "v1+buildid:aa", "schema-1")
	if err := r.Put("env dev", "inputs-1", []byte("bundle bytes\n")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		r         *Results
		slot, key string
		want      string // "" for a miss
	}{
		{"hit", r, "env dev", "inputs-1", "bundle bytes\n"},
		{"other key", r, "env dev", "inputs-2", ""},
		{"other slot", r, "env prod", "inputs-1", ""},
		{"other ork build", other("v1+buildid:bb", "schema-1"), "env dev", "inputs-1", ""},
		{"other ork version", other("v2+buildid:aa", "schema-1"), "env dev", "inputs-1", ""},
		{"other schemas", other("v1+buildid:aa", "schema-2"), "env dev", "inputs-1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.r.Get(tt.slot, tt.key)
			if ok != (tt.want != "") || string(got) != tt.want {
				t.Errorf("Get = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
	// An entry of another version is a miss, not damage: it stays for
	// the version that wrote it until a Put replaces it.
	if _, ok := r.Get("env dev", "inputs-1"); !ok || r.Dropped() != 0 {
		t.Errorf("entry lost after other versions read it (dropped %d)", r.Dropped())
	}
}

func TestResultsStampChecked(t *testing.T) {
	c, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][2]string{{"", "s"}, {"v", ""}, {"v\n", "s"}, {"v", "s\nx"}} {
		if _, err := c.Results(bad[0], bad[1]); err == nil {
			t.Errorf("Results(%q, %q) accepted", bad[0], bad[1])
		}
	}
	r, _ := c.Results("v", "s")
	if err := r.Put("slot", "a\nb", nil); err == nil {
		t.Error("a key with a newline was accepted")
	}
}

// TestResultsDamaged changes a stored entry in each way a disk or a crash
// might: it must be a miss, be removed, and be counted.
func TestResultsDamaged(t *testing.T) {
	tests := []struct {
		name   string
		damage func(data []byte) []byte
	}{
		{"payload byte flipped", func(d []byte) []byte { d[len(d)-2] ^= 1; return d }},
		{"truncated payload", func(d []byte) []byte { return d[:len(d)-3] }},
		{"truncated header", func(d []byte) []byte { return d[:20] }},
		{"checksum changed", func(d []byte) []byte {
			i := strings.LastIndex(string(d), "inputs\n") + len("inputs\n")
			d[i] = 'x'
			return d
		}},
		{"empty", func([]byte) []byte { return nil }},
		{"not an entry", func([]byte) []byte { return []byte("hello\n") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			r, _ := c.Results("v", "s")
			if err := r.Put("slot", "inputs", []byte("payload\nof two lines\n")); err != nil {
				t.Fatal(err)
			}
			p := r.path("slot")
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, tt.damage(data), 0o644); err != nil {
				t.Fatal(err)
			}
			if got, ok := r.Get("slot", "inputs"); ok {
				t.Fatalf("damaged entry read as %q", got)
			}
			if _, err := os.Stat(p); !os.IsNotExist(err) {
				t.Errorf("damaged entry not removed: %v", err)
			}
			if r.Dropped() != 1 {
				t.Errorf("Dropped = %d, want 1", r.Dropped())
			}
		})
	}
}

// TestResultsConcurrent has writers replace one entry while readers read
// it: a reader sees one writer's whole entry or none, never a damaged one.
func TestResultsConcurrent(t *testing.T) {
	c, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r, _ := c.Results("v", "s")
	payload := func(w int) []byte { return []byte(strings.Repeat(string(rune('a'+w)), 64<<10)) }
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range 20 {
				if err := r.Put("slot", "inputs", payload(w)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			for range 50 {
				got, ok := r.Get("slot", "inputs")
				if ok && strings.Trim(string(got), string(got[:1])) != "" {
					t.Error("read a mix of two writers' entries")
					return
				}
			}
		}()
	}
	wg.Wait()
	if r.Dropped() != 0 {
		t.Errorf("%d entries dropped as damaged", r.Dropped())
	}
	left, _ := filepath.Glob(filepath.Join(c.Dir(), "results", "*", ".tmp-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestResultsHolds: Holds says yes only for exactly the payload stored,
// under the key, version and schemas it was stored with, and for an entry
// whose bytes are whole.
func TestResultsHolds(t *testing.T) {
	r, otherStore := resultsIn(t, "v1+buildid:aa", "schema-1")
	body := strings.Repeat("apiVersion: v1\nkind: ConfigMap\n---\n", 1000)
	if err := r.Put("env dev", "inputs-1", []byte("12 3\n"+body)); err != nil {
		t.Fatal(err)
	}
	// Put from parts stores what Put of their concatenation does.
	if err := r.Put("env parts", "inputs-1", []byte("12 "), nil, []byte("3\n"), []byte(body)); err != nil {
		t.Fatal(err)
	}
	whole, err1 := os.ReadFile(r.path("env dev"))
	parts, err2 := os.ReadFile(r.path("env parts"))
	if err1 != nil || err2 != nil || !bytes.Equal(whole, parts) {
		t.Fatalf("Put from parts wrote %d bytes (%v), of the whole %d (%v); not the same", len(parts), err2, len(whole), err1)
	}
	other := otherStore("v1+buildid:bb", "schema-1")
	tests := []struct {
		name      string
		r         *Results
		slot, key string
		rest      string
		want      bool
	}{
		{"the same bytes", r, "env dev", "inputs-1", body, true},
		{"one byte changed", r, "env dev", "inputs-1", strings.Replace(body, "ConfigMap", "ConfigMaq", 1), false},
		{"one byte more", r, "env dev", "inputs-1", body + "\n", false},
		{"cut short", r, "env dev", "inputs-1", body[:len(body)-1], false},
		{"other key", r, "env dev", "inputs-2", body, false},
		{"other slot", r, "env prod", "inputs-1", body, false},
		{"other ork build", other, "env dev", "inputs-1", body, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			head, ok := tt.r.Holds(tt.slot, tt.key, []byte(tt.rest))
			if ok != tt.want || ok && string(head) != "12 3\n" {
				t.Errorf("Holds = %q, %v; want %v", head, ok, tt.want)
			}
		})
	}
	// Damage to the header's checksum or counts: no longer held. (Damage
	// past the first bytes does not matter: the caller has the bytes the
	// checksum was taken of, and a Get would drop the entry.)
	p := r.path("env dev")
	good, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []int{bytes.Index(good, []byte("12 3\n")) - 3, bytes.Index(good, []byte("12 3\n"))} {
		data := bytes.Clone(good)
		data[at] ^= 1
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, ok := r.Holds("env dev", "inputs-1", []byte(body)); ok {
			t.Errorf("an entry damaged at byte %d holds the bundle", at)
		}
	}
}
