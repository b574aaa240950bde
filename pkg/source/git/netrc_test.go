package git

import "testing"

func TestNetrcLookup(t *testing.T) {
	const data = `
machine git.example.com login alice password s3cret
machine other.example.com
  login bob
  password hunter2
default login anon password anonpass
`
	for _, tt := range []struct {
		host, login, password string
		ok                    bool
	}{
		{"git.example.com", "alice", "s3cret", true},
		{"other.example.com", "bob", "hunter2", true},
		{"unknown.example.com", "anon", "anonpass", true},
	} {
		login, password, ok := netrcLookup(data, tt.host)
		if login != tt.login || password != tt.password || ok != tt.ok {
			t.Errorf("%s: got %q %q %v", tt.host, login, password, ok)
		}
	}
	if _, _, ok := netrcLookup("machine a login x password y\n", "b"); ok {
		t.Errorf("a host without an entry or default matched")
	}
}

func TestIsCommit(t *testing.T) {
	if !IsCommit("45558694072a57d37b2365f980c52199488e3594") || IsCommit("main") || IsCommit("4555869") || IsCommit("45558694072A57D37B2365F980C52199488E3594") {
		t.Errorf("IsCommit misjudges")
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"https://me:tok@example.com/r.git":    "https://example.com/r.git",
		"https://ghp_token@example.com/r.git": "https://example.com/r.git",
		"ssh://git@example.com/r.git":         "ssh://git@example.com/r.git",
		"ssh://git:pw@example.com/r.git":      "ssh://example.com/r.git",
	} {
		if got := Public(in); got != want {
			t.Errorf("Public(%q) = %s, want %s", in, got, want)
		}
	}
	if got := redact("https://example.com/r.git"); got != "https://example.com/r.git" {
		t.Errorf("redact = %s", got)
	}
}
