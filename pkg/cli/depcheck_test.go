package cli

import (
	"os/exec"
	"strings"
	"testing"
)

// TestCLIDeps keeps the CLI lean: the Kubernetes client libraries and the
// Prometheus client are ork-runtime's (cmd/ork-runtime), never ork's.
func TestCLIDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/orkdev/ork/cmd/ork").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("only %d dependencies listed", len(deps))
	}
	for _, d := range deps {
		for _, bad := range []string{"k8s.io/", "sigs.k8s.io/", "github.com/prometheus/", "github.com/google/go-containerregistry/", "github.com/orkdev/ork/pkg/runtime", "github.com/orkdev/ork/pkg/image"} {
			if strings.HasPrefix(d, bad) {
				t.Errorf("cmd/ork depends on %s; only ork-runtime may", d)
			}
		}
	}
}
