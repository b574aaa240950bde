package compose

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseFieldPath(t *testing.T) {
	tests := []struct {
		in      string
		want    FieldPath
		wantErr string
		back    string // String() of the result, when not in
	}{
		{in: "", want: nil},
		{in: "spec", want: FieldPath{{Key: "spec"}}},
		{in: "spec.replicas", want: FieldPath{{Key: "spec"}, {Key: "replicas"}}},
		{
			in:   "spec.template.spec.containers[name=app].image",
			want: FieldPath{{Key: "spec"}, {Key: "template"}, {Key: "spec"}, {Key: "containers"}, {Name: "app", Named: true}, {Key: "image"}},
		},
		{in: "args[0]", want: FieldPath{{Key: "args"}, {Index: 0, Indexed: true}}},
		{in: "containers[1].args[12]", want: FieldPath{{Key: "containers"}, {Index: 1, Indexed: true}, {Key: "args"}, {Index: 12, Indexed: true}}},
		{in: `metadata.labels["app.kubernetes.io/name"]`, want: FieldPath{{Key: "metadata"}, {Key: "labels"}, {Key: "app.kubernetes.io/name"}}},
		{in: `env[name="A B"].value`, want: FieldPath{{Key: "env"}, {Name: "A B", Named: true}, {Key: "value"}}},
		{in: `env[name=KC_HOSTNAME]`, want: FieldPath{{Key: "env"}, {Name: "KC_HOSTNAME", Named: true}}},
		{in: `env[name="x"]`, want: FieldPath{{Key: "env"}, {Name: "x", Named: true}}, back: `env[name=x]`},
		{in: `["a"].b`, want: FieldPath{{Key: "a"}, {Key: "b"}}, back: "a.b"},
		{in: `data["config.yaml"]`, want: FieldPath{{Key: "data"}, {Key: "config.yaml"}}},
		{in: "a..b", wantErr: "a dot must separate two keys"},
		{in: ".a", wantErr: "a dot must separate two keys"},
		{in: "a.", wantErr: "a dot must separate two keys"},
		{in: "a.[0]", wantErr: "a dot must separate two keys"},
		{in: "a[0]b", wantErr: "a key must follow a dot"},
		{in: "a[", wantErr: "want ]"},
		{in: "a[x]", wantErr: "want [N], [name=NAME] or [\"key\"], not [x]"},
		{in: "a[-1]", wantErr: "not [-1]"},
		{in: "a[+1]", wantErr: "not [+1]"},
		{in: "a[name=x", wantErr: "want ] after the name"},
		{in: `a[name="x]`, wantErr: "malformed quoted name"},
		{in: `a["x"`, wantErr: "want ] after the quoted key"},
		{in: `a["x]`, wantErr: "malformed quoted key"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseFieldPath(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseFieldPath(%q) = %v, %v; want an error with %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseFieldPath(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseFieldPath(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
			back := tt.back
			if back == "" {
				back = tt.in
			}
			if s := got.String(); s != back {
				t.Errorf("String() = %q, want %q", s, back)
			}
		})
	}
}

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in      string
		want    Target
		wantErr bool
	}{
		{in: "Deployment/identity/keycloak", want: Target{Kind: "Deployment", Namespace: "identity", HasNamespace: true, Name: "keycloak"}},
		{in: "Deployment.apps/identity/keycloak", want: Target{Kind: "Deployment", Group: "apps", HasGroup: true, Namespace: "identity", HasNamespace: true, Name: "keycloak"}},
		{in: "CustomResourceDefinition.apiextensions.k8s.io/helloworlds.apps.orcra.io", want: Target{Kind: "CustomResourceDefinition", Group: "apiextensions.k8s.io", HasGroup: true, Name: "helloworlds.apps.orcra.io"}},
		{in: "Namespace/identity", want: Target{Kind: "Namespace", Name: "identity"}},
		{in: "keycloak", wantErr: true},
		{in: "a/b/c/d", wantErr: true},
		{in: "Deployment//keycloak", wantErr: true},
		{in: ".apps/x", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseTarget(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseTarget(%q) = %+v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseTarget(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
		if got.String() != tt.in {
			t.Errorf("String() = %q, want %q", got.String(), tt.in)
		}
	}
}

func TestClosest(t *testing.T) {
	names := []string{"replicas", "selector", "template", "strategy", "paused"}
	tests := []struct {
		want string
		got  []string
	}{
		{"replica", []string{"replicas"}},
		{"Replicas", []string{"replicas"}},
		{"templat", []string{"template"}},
		{"stratgey", []string{"strategy"}},
		{"nothing", nil},
		{"rep", []string{"replicas"}},
		{"s", []string{"selector", "strategy"}},
	}
	for _, tt := range tests {
		if got := closest(tt.want, names, 3); !reflect.DeepEqual(got, tt.got) {
			t.Errorf("closest(%q) = %q, want %q", tt.want, got, tt.got)
		}
	}
	if d := editDistance("kitten", "sitting"); d != 3 {
		t.Errorf("editDistance(kitten, sitting) = %d, want 3", d)
	}
}

// FuzzParseFieldPath checks that any input parses or fails without
// panicking, and that what parses writes back to a path that parses to the
// same steps.
func FuzzParseFieldPath(f *testing.F) {
	for _, s := range []string{"spec.replicas", "a[name=x].b[0]", `a["b.c"][name="d e"]`, "a..b", "[", `a[name="`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseFieldPath(s)
		if err != nil {
			return
		}
		again, err := ParseFieldPath(p.String())
		if err != nil {
			t.Fatalf("ParseFieldPath(%q) = %#v, whose String %q does not parse: %v", s, p, p.String(), err)
		}
		if !reflect.DeepEqual(again, p) {
			t.Fatalf("ParseFieldPath(%q) = %#v; String %q parses to %#v", s, p, p.String(), again)
		}
	})
}
