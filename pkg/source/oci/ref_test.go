package oci

import (
	"errors"
	"testing"
)

const d64 = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Reference
		err  string
	}{
		{in: "registry.example.com/baselines/security:1.4.0", want: Reference{Registry: "registry.example.com", Repository: "baselines/security", Tag: "1.4.0"}},
		{in: "localhost:5000/a@" + d64, want: Reference{Registry: "localhost:5000", Repository: "a", Digest: d64}},
		{in: "127.0.0.1:5000/a/b:v1@" + d64, want: Reference{Registry: "127.0.0.1:5000", Repository: "a/b", Tag: "v1", Digest: d64}},
		{in: "[::1]:5000/a:1", want: Reference{Registry: "[::1]:5000", Repository: "a", Tag: "1"}},
		{in: "localhost/a:1", want: Reference{Registry: "localhost", Repository: "a", Tag: "1"}},
		{in: "oci-layout:./vendor/baselines:1.4.0", want: Reference{Layout: "./vendor/baselines", Tag: "1.4.0"}},
		{in: "oci-layout:vendor@" + d64, want: Reference{Layout: "vendor", Digest: d64}},
		{in: "oci-layout:C:/x:1", want: Reference{Layout: "C:/x", Tag: "1"}},
		{in: "ubuntu:22.04", err: `invalid OCI reference "ubuntu:22.04": expected REGISTRY/REPOSITORY:TAG or REGISTRY/REPOSITORY@sha256:DIGEST`},
		{in: "library/ubuntu:22.04", err: `invalid OCI reference "library/ubuntu:22.04": "library" is not a registry host; name the registry (for Docker Hub, docker.io/library/ubuntu:22.04)`},
		{in: "ghcr.io/org/repo", err: `invalid OCI reference "ghcr.io/org/repo": give a tag or a digest: ghcr.io/org/repo:TAG or ghcr.io/org/repo@sha256:DIGEST`},
		{in: "ghcr.io/Org/repo:1", err: `invalid OCI reference "ghcr.io/Org/repo:1": repository "Org/repo" is not valid (lower-case letters, digits and separators)`},
		{in: "ghcr.io/org/repo:-1", err: `invalid OCI reference "ghcr.io/org/repo:-1": tag "-1" is not valid (letters, digits, '_', '.' and '-', at most 128, not starting with '.' or '-')`},
		{in: "ghcr.io/org/repo@sha256:abc", err: `invalid OCI reference "ghcr.io/org/repo@sha256:abc": the digest must be sha256: and 64 lower-case hex digits`},
		{in: "oci-layout::1", err: `invalid OCI reference "oci-layout::1": give the layout's directory: oci-layout:PATH:TAG`},
		{in: "oci-layout:vendor", err: `invalid OCI reference "oci-layout:vendor": give a tag or a digest: oci-layout:PATH:TAG or oci-layout:PATH@sha256:DIGEST`},
		{in: "bad.host!/a:1", err: `invalid OCI reference "bad.host!/a:1": "bad.host!" is not a valid registry host`},
	} {
		got, err := Parse(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err || !errors.Is(err, ErrReference) {
				t.Errorf("Parse(%q) = %v, want error %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		if back, err := Parse(got.String()); err != nil || back != got {
			t.Errorf("Parse(%q.String() = %q) = %+v, %v", tc.in, got.String(), back, err)
		}
	}
}

func TestImmutable(t *testing.T) {
	if IsImmutable("ghcr.io/a/b:1") || !IsImmutable("ghcr.io/a/b@"+d64) || !IsImmutable("oci-layout:x@"+d64) || IsImmutable("nonsense") {
		t.Error("IsImmutable: a tag moves, a digest does not")
	}
}

func TestPlainHTTPByDefault(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "localhost:5000": true, "127.0.0.1:5000": true, "[::1]:5000": true,
		"registry.example.com": false, "127.0.0.2:5000": false, "localhost.example.com": false,
	} {
		if got := plainHTTPByDefault(host); got != want {
			t.Errorf("plainHTTPByDefault(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestSize(t *testing.T) {
	for in, want := range map[string]int64{"64MiB": 64 << 20, "1": 1, "1 KiB": 1024, "2G": 2 << 30, "5MB": 5e6, "10B": 10} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1", "lots", "1.5MiB", "99999999999999999999"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) succeeded", in)
		}
	}
	for n, want := range map[int64]string{12: "12 bytes", 1536: "1.5 KiB", 64 << 20: "64 MiB", 10 << 20: "10 MiB", 3 << 30: "3 GiB"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}
