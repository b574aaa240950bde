package oci

import (
	"errors"
	"strings"
	"testing"
)

func TestParseImage(t *testing.T) {
	for _, tc := range []struct {
		in                       string
		registry, repo, tag, dig string
		untagged                 bool
		err                      string
	}{
		{in: "nginx", registry: "docker.io", repo: "library/nginx", tag: "latest", untagged: true},
		{in: "nginx:1.25", registry: "docker.io", repo: "library/nginx", tag: "1.25"},
		{in: "docker.io/nginx:1.25", registry: "docker.io", repo: "library/nginx", tag: "1.25"},
		{in: "index.docker.io/nginx:1.25", registry: "docker.io", repo: "library/nginx", tag: "1.25"},
		{in: "docker.io/bitnami/redis:7", registry: "docker.io", repo: "bitnami/redis", tag: "7"},
		{in: "bitnami/redis:7", registry: "docker.io", repo: "bitnami/redis", tag: "7"},
		{in: "ghcr.io/org/app:2.0.1", registry: "ghcr.io", repo: "org/app", tag: "2.0.1"},
		{in: "localhost:5000/app", registry: "localhost:5000", repo: "app", tag: "latest", untagged: true},
		{in: "localhost/app:1", registry: "localhost", repo: "app", tag: "1"},
		{in: "127.0.0.1:5000/team/app:1@" + d64, registry: "127.0.0.1:5000", repo: "team/app", tag: "1", dig: d64},
		{in: "app@" + d64, registry: "docker.io", repo: "library/app", dig: d64},
		{in: "[::1]:5000/app:v1", registry: "[::1]:5000", repo: "app", tag: "v1"},
		{in: "", err: "repository"},
		{in: "Nginx:1", err: `repository "library/Nginx" is not valid`},
		{in: "nginx:-1", err: `tag "-1" is not valid`},
		{in: "nginx@sha256:abc", err: "the digest must be sha256:"},
		{in: "bad_host.io:x:y/app:1", err: "is not a valid registry host"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			img, err := ParseImage(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrReference) {
					t.Fatalf("ParseImage(%q) = %+v, %v; want an ErrReference containing %q", tc.in, img, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if img.Registry != tc.registry || img.Repository != tc.repo || img.Tag != tc.tag || img.Digest != tc.dig || img.Untagged != tc.untagged || img.Written != tc.in {
				t.Fatalf("ParseImage(%q) = %+v", tc.in, img)
			}
		})
	}
}

// FuzzParseImage holds ParseImage to its grammar: no panic, and what it
// accepts names a registry and a repository, and a tag or a digest, that
// Parse reads back to the same reference.
func FuzzParseImage(f *testing.F) {
	for _, s := range []string{"nginx", "nginx:1.25", "ghcr.io/org/app:2@" + d64, "localhost:5000/a", "[::1]/x:y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		img, err := ParseImage(s)
		if err != nil {
			if !errors.Is(err, ErrReference) {
				t.Fatalf("ParseImage(%q): error %v is not ErrReference", s, err)
			}
			return
		}
		if img.Registry == "" || img.Repository == "" || img.Tag == "" && img.Digest == "" {
			t.Fatalf("ParseImage(%q) = %+v", s, img)
		}
		back, err := Parse(img.Reference.String())
		if err != nil || back != img.Reference {
			t.Fatalf("ParseImage(%q) = %+v; Parse(%q) = %+v, %v", s, img.Reference, img.Reference.String(), back, err)
		}
	})
}
