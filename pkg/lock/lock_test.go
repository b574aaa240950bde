package lock

import (
	"bytes"
	"strings"
	"testing"

	"github.com/orkdev/ork/pkg/schema"
)

const commitA = "45558694072a57d37b2365f980c52199488e3594"

func sample() *Lock {
	l := &Lock{}
	l.Set("staging", "lib", Pin{Type: "git", Location: "https://example.com/lib.git", Ref: "main", ID: commitA, Promoted: "dev"})
	l.Set("dev", "lib", Pin{Type: "git", Location: "https://example.com/lib.git", Ref: "main", Path: "svc", ID: commitA})
	l.Set("dev", "base", Pin{Type: "oci", Location: "registry.example.com/base:1", ID: "sha256:" + strings.Repeat("a", 64)})
	l.SetImage("dev", "ghcr.io/org/app:1.2", ImagePin{ID: "sha256:" + strings.Repeat("b", 64)})
	l.SetImage("dev", "nginx", ImagePin{ID: "sha256:" + strings.Repeat("c", 64)})
	l.SetImage("staging", "ghcr.io/org/app:1.2", ImagePin{ID: "sha256:" + strings.Repeat("b", 64), Promoted: "dev"})
	l.SetImage("images-only", "localhost:5000/team/app:v1", ImagePin{ID: "sha256:" + strings.Repeat("d", 64)})
	return l
}

func TestRoundTrip(t *testing.T) {
	v := schema.New()
	data, err := sample().Encode()
	if err != nil {
		t.Fatal(err)
	}
	l, err := Parse("ork.lock", data, v)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	again, err := l.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, again) {
		t.Errorf("encode is not stable:\n%s\n---\n%s", data, again)
	}
	if p, ok := l.Get("staging", "lib"); !ok || p.Promoted != "dev" || p.ID != commitA {
		t.Errorf("staging/lib = %+v, %v", p, ok)
	}
	if p, ok := l.Image("staging", "ghcr.io/org/app:1.2"); !ok || p.Promoted != "dev" || p.ID != "sha256:"+strings.Repeat("b", 64) {
		t.Errorf("staging image = %+v, %v", p, ok)
	}
	if _, ok := l.Image("images-only", "localhost:5000/team/app:v1"); !ok {
		t.Errorf("an environment with images and no sources was lost:\n%s", data)
	}
	if !strings.Contains(string(data), "apiVersion: ork.dev/v1alpha1\nkind: Lock\nenvironments:\n  dev:\n") {
		t.Errorf("unexpected layout:\n%s", data)
	}
}

func TestEncodeIsDeterministic(t *testing.T) {
	first, _ := sample().Encode()
	for range 20 {
		again, _ := sample().Encode()
		if !bytes.Equal(first, again) {
			t.Fatalf("two encodings of one lock differ")
		}
	}
}

func TestParseErrors(t *testing.T) {
	v := schema.New()
	for _, tt := range []struct{ name, src, want string }{
		{"malformed", "apiVersion: [", "ork.lock:1: invalid YAML"},
		{"empty", "", "the lock is empty"},
		{"not a map", "- a\n", "ork.lock:1:1: the lock is not a mapping"},
		{"future", "apiVersion: ork.dev/v2\nkind: Lock\n", "ork.lock:1:1: unknown lock format ork.dev/v2/Lock"},
		{"short id", "apiVersion: ork.dev/v1alpha1\nkind: Lock\nenvironments:\n  dev:\n    sources:\n      lib: {type: git, location: x, id: abc}\n", `ork.lock:6:41: environments.dev.sources.lib.id: invalid value "abc"`},
		{"unknown field", "apiVersion: ork.dev/v1alpha1\nkind: Lock\nenvironments:\n  dev:\n    sources:\n      lib: {type: git, location: x, id: " + commitA + ", extra: 1}\n", "environments.dev.sources.lib.extra: field not allowed"},
		{"image digest", "apiVersion: ork.dev/v1alpha1\nkind: Lock\nenvironments:\n  dev:\n    images:\n      app@sha256:" + strings.Repeat("a", 64) + ": {id: sha256:" + strings.Repeat("a", 64) + "}\n", "environments.dev.images.app@sha256:" + strings.Repeat("a", 64) + ": field not allowed"},
		{"image upper case", "apiVersion: ork.dev/v1alpha1\nkind: Lock\nenvironments:\n  dev:\n    images:\n      Nginx:1: {id: sha256:" + strings.Repeat("a", 64) + "}\n", "field not allowed"},
		{"image id", "apiVersion: ork.dev/v1alpha1\nkind: Lock\nenvironments:\n  dev:\n    images:\n      nginx:1: {id: " + commitA + "}\n", `ork.lock:6:21: environments.dev.images.nginx:1.id: invalid value`},
		{"bad type", "apiVersion: ork.dev/v1alpha1\nkind: Lock\nenvironments:\n  dev:\n    sources:\n      lib: {type: svn, location: x, id: " + commitA + "}\n", "environments.dev.sources.lib.type"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("ork.lock", []byte(tt.src), v)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestAsksAndClone(t *testing.T) {
	p := Pin{Type: "git", Location: "u", Ref: "main", Path: "p", ID: commitA}
	if !p.Asks("git", "u", "main", "p") || p.Asks("git", "u", "dev", "p") || p.Asks("git", "u", "main", "") || p.Asks("oci", "u", "main", "p") {
		t.Errorf("Asks does not compare every field")
	}
	l := sample()
	c := l.Clone()
	c.Set("dev", "lib", Pin{ID: "changed"})
	c.SetImage("dev", "nginx", ImagePin{ID: "changed"})
	if got, _ := l.Get("dev", "lib"); got.ID != commitA {
		t.Errorf("Clone shares state with the original")
	}
	if got, _ := l.Image("dev", "nginx"); got.ID == "changed" {
		t.Errorf("Clone shares image pins with the original")
	}
}

func FuzzParse(f *testing.F) {
	data, _ := sample().Encode()
	f.Add(data)
	f.Add([]byte("apiVersion: ork.dev/v1alpha1\nkind: Lock\nenvironments: {}\n"))
	f.Add([]byte("apiVersion: ork.dev/v1alpha1\nkind: Lock\nenvironments: {dev: {sources: {a: {type: git, location: x, id: " + commitA + "}}}}\n"))
	v := schema.New()
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Parse("ork.lock", data, v)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		// What parses re-encodes to something that parses to the same pins.
		out, err := l.Encode()
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse("ork.lock", out, v)
		if err != nil {
			t.Fatalf("re-encoded lock does not parse: %v\n%s", err, out)
		}
		out2, _ := again.Encode()
		if !bytes.Equal(out, out2) {
			t.Fatalf("encode is not stable:\n%s\n---\n%s", out, out2)
		}
	})
}
