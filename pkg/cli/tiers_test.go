package cli

import (
	"fmt"
	"os"
	"testing"
)

// recordTier notes whether an integration tier ran, and why not, in the
// file ORK_TIER_REPORT names (make test sets it, and prints the notes in
// its final line). Each tier decides where its tests do: the same checks.
func recordTier(t *testing.T, tier, skipped string) {
	t.Helper()
	path := os.Getenv("ORK_TIER_REPORT")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatalf("ORK_TIER_REPORT: %v", err)
	}
	defer f.Close()
	line := tier + " ran"
	if skipped != "" {
		line = tier + " skipped (" + skipped + ")"
	}
	if _, err := fmt.Fprintln(f, line); err != nil {
		t.Fatalf("ORK_TIER_REPORT: %v", err)
	}
}

// TestSSHTier reports whether the ssh:// Git scripts run: they skip when
// OpenSSH is missing ([!sshd] skip), unless ORK_REQUIRE_SSH makes that a
// failure.
func TestSSHTier(t *testing.T) {
	m := sshMissing()
	switch {
	case m == "":
		recordTier(t, "ssh", "")
	case os.Getenv("ORK_REQUIRE_SSH") != "":
		recordTier(t, "ssh", "FAILED: ORK_REQUIRE_SSH is set")
		t.Fatalf("ORK_REQUIRE_SSH is set, but %s", sshMissingMessage(m))
	default:
		recordTier(t, "ssh", m+" not found: bash .ci/ssh.sh installs OpenSSH")
		t.Skip(sshMissingMessage(m))
	}
}
