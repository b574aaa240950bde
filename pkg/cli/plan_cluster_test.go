package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestPlanCluster runs the scripts of testdata/plan/cluster against a real
// kube-apiserver and etcd: the cluster tier, run by `make test-integration`
// (.ci/kube-up.sh starts the server and exports KUBECONFIG and a PATH with
// kubectl). It is skipped unless ORK_KUBE_TEST=1, so that `make test` needs
// no cluster. The scripts share the one cluster and run one after another.
func TestPlanCluster(t *testing.T) {
	if os.Getenv("ORK_KUBE_TEST") != "1" {
		recordTier(t, "cluster", "it runs in make test-integration")
		t.Skip("the cluster tier runs with ORK_KUBE_TEST=1 and a cluster from .ci/kube-up.sh (make test-integration)")
	}
	kubeconfig := os.Getenv("KUBECONFIG")
	if kubeconfig == "" {
		t.Fatal("ORK_KUBE_TEST=1 needs KUBECONFIG: eval \"$(.ci/kube-up.sh)\"")
	}
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Fatalf("ORK_KUBE_TEST=1 needs kubectl on PATH: %v", err)
	}
	recordTier(t, "cluster", "")
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("..", "..", "testdata", "plan", "cluster"),
		UpdateScripts:       os.Getenv("ORK_UPDATE") == "1",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("KUBECONFIG", kubeconfig)
			_, err := freshHome(env)
			return err
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"tree":   cmdTree,
			"demo":   cmdDemo,
			"mutate": cmdMutate,
		},
	})
}
