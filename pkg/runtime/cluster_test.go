package runtime_test

// The cluster tier of the runtime's tests: ork-runtime started as a process
// against a real kube-apiserver and etcd (.ci/kube-up.sh), each test
// asserting on live objects. Skipped unless ORK_KUBE_TEST=1 (make
// test-integration). There is no kube-controller-manager: Deployments make
// no pods and a deleted Namespace never finishes terminating, so every test
// works in Namespaces of its own that it never deletes.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/orkdev/ork/pkg/bundle"
)

var (
	nsGVR     = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	svcGVR    = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	cmGVR     = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	eventGVR  = schema.GroupVersionResource{Version: "v1", Resource: "events"}
	deployGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	leaseGVR  = schema.GroupVersionResource{Group: "coordination.k8s.io", Version: "v1", Resource: "leases"}
	crdGVR    = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	hwGVR     = schema.GroupVersionResource{Group: "apps.orcra.io", Version: "v1", Resource: "helloworlds"}
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// cluster skips the test unless the cluster tier is on, and returns a
// client for the cluster and the path of an ork-runtime built from this
// tree.
func cluster(tb testing.TB) (dynamic.Interface, string) {
	tb.Helper()
	if os.Getenv("ORK_KUBE_TEST") != "1" {
		tb.Skip("the cluster tier runs with ORK_KUBE_TEST=1 and a cluster from .ci/kube-up.sh (make test-integration)")
	}
	kubeconfig := os.Getenv("KUBECONFIG")
	if kubeconfig == "" {
		tb.Fatal("ORK_KUBE_TEST=1 needs KUBECONFIG: eval \"$(.ci/kube-up.sh)\"")
	}
	if _, err := exec.LookPath("kubectl"); err != nil {
		tb.Fatalf("ORK_KUBE_TEST=1 needs kubectl on PATH: %v", err)
	}
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "ork-runtime-test-")
		if buildErr != nil {
			return
		}
		for _, cmd := range []string{"ork-runtime", "ork"} {
			out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, cmd), "../../cmd/"+cmd).CombinedOutput()
			if err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", cmd, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		tb.Fatal(err)
	}
	cfg.QPS, cfg.Burst = 200, 400
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return dyn, filepath.Join(binDir, "ork-runtime")
}

// proc is one running ork-runtime.
type proc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs []map[string]any
	raw  bytes.Buffer
	done chan struct{}
	err  error
}

// start runs ork-runtime with JSON logs, a free port and short lease
// timings, and stops it (SIGTERM, then SIGKILL after 15s) when the test
// ends.
func start(tb testing.TB, bin string, args ...string) *proc {
	tb.Helper()
	base := []string{"--addr", "127.0.0.1:0", "--log-format", "json",
		"--lease-duration", "4s", "--renew-deadline", "3s", "--retry-period", "300ms"}
	p := &proc{cmd: exec.Command(bin, append(base, args...)...), done: make(chan struct{})}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m map[string]any
			_ = json.Unmarshal(sc.Bytes(), &m)
			p.mu.Lock()
			p.raw.Write(sc.Bytes())
			p.raw.WriteByte('\n')
			if m != nil {
				p.logs = append(p.logs, m)
			}
			p.mu.Unlock()
		}
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	tb.Cleanup(func() {
		p.stop(tb)
		if tb.Failed() {
			tb.Logf("ork-runtime %v log:\n%s", args, p.log())
		}
	})
	return p
}

func (p *proc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.raw.String()
}

// stop sends SIGTERM and returns the exit code.
func (p *proc) stop(tb testing.TB) int {
	tb.Helper()
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
			tb.Errorf("ork-runtime did not stop within 15s of SIGTERM")
		}
	}
	return p.cmd.ProcessState.ExitCode()
}

// wait returns the exit code once the process exits by itself, within
// timeout.
func (p *proc) wait(tb testing.TB, timeout time.Duration) int {
	tb.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		tb.Fatalf("ork-runtime still running after %s", timeout)
		return -1
	}
}

// waitLog waits, at most timeout, for a log record with message msg whose
// attributes include attrs, and returns it.
func (p *proc) waitLog(tb testing.TB, timeout time.Duration, msg string, attrs ...string) map[string]any {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if m := p.find(msg, attrs...); m != nil {
			return m
		}
		select {
		case <-p.done:
			if m := p.find(msg, attrs...); m != nil {
				return m
			}
			tb.Fatalf("ork-runtime exited (%v) before logging %q %v", p.err, msg, attrs)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatalf("no %q %v logged within %s", msg, attrs, timeout)
		}
	}
}

func (p *proc) find(msg string, attrs ...string) map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.logs {
		if m["msg"] != msg {
			continue
		}
		ok := true
		for i := 0; i+1 < len(attrs); i += 2 {
			if fmt.Sprint(m[attrs[i]]) != attrs[i+1] {
				ok = false
			}
		}
		if ok {
			return m
		}
	}
	return nil
}

func (p *proc) count(msg string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, m := range p.logs {
		if m["msg"] == msg {
			n++
		}
	}
	return n
}

// get fetches a path from the runtime's HTTP endpoint.
func (p *proc) get(tb testing.TB, path string) (int, string) {
	tb.Helper()
	addr := p.waitLog(tb, 10*time.Second, "serving")["addr"].(string)
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + path)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// metric returns the value of one series from /metrics, -1 if absent.
func (p *proc) metric(tb testing.TB, series string) float64 {
	tb.Helper()
	_, body := p.get(tb, "/metrics")
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// eventually retries f every 50ms until it returns nil, at most timeout.
func eventually(tb testing.TB, timeout time.Duration, what string, f func() error) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s: not within %s: %v", what, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func kubectl(tb testing.TB, args ...string) string {
	tb.Helper()
	out, err := exec.Command("kubectl", args...).CombinedOutput()
	if err != nil {
		tb.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func get(tb testing.TB, dyn dynamic.Interface, gvr schema.GroupVersionResource, ns, name string) (*unstructured.Unstructured, error) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if ns == "" {
		return dyn.Resource(gvr).Get(ctx, name, metav1.GetOptions{})
	}
	return dyn.Resource(gvr).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
}

func mustGet(tb testing.TB, dyn dynamic.Interface, gvr schema.GroupVersionResource, ns, name string) *unstructured.Unstructured {
	tb.Helper()
	u, err := get(tb, dyn, gvr, ns, name)
	if err != nil {
		tb.Fatalf("%s %s/%s: %v", gvr.Resource, ns, name, err)
	}
	return u
}

// gone reports whether an object no longer exists (or is being deleted).
func gone(tb testing.TB, dyn dynamic.Interface, gvr schema.GroupVersionResource, ns, name string) bool {
	tb.Helper()
	u, err := get(tb, dyn, gvr, ns, name)
	if apierrors.IsNotFound(err) {
		return true
	}
	if err != nil {
		tb.Fatal(err)
	}
	return u.GetDeletionTimestamp() != nil
}

func field(u *unstructured.Unstructured, path ...string) string {
	v, _, _ := unstructured.NestedFieldNoCopy(u.Object, path...)
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// Bundles for the tests: every test's objects in Namespaces of its own.

func namespace(name string) map[string]any {
	return map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name}}
}

func service(ns, name string, port int) map[string]any {
	return map[string]any{"apiVersion": "v1", "kind": "Service",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec": map[string]any{"selector": map[string]any{"app": name},
			"ports": []any{map[string]any{"name": "http", "port": port, "targetPort": 8080}}}}
}

func deployment(ns, name string, replicas int) map[string]any {
	labels := map[string]any{"app": name}
	return map[string]any{"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": name, "namespace": ns, "labels": labels},
		"spec": map[string]any{"replicas": replicas, "selector": map[string]any{"matchLabels": labels},
			"template": map[string]any{"metadata": map[string]any{"labels": labels},
				"spec": map[string]any{"containers": []any{map[string]any{"name": "app", "image": "example.com/app:1"}}}}}}
}

func configMap(ns, name, value string) map[string]any {
	return map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": name, "namespace": ns}, "data": map[string]any{"value": value}}
}

func katalog(ns string) map[string]any {
	return map[string]any{"apiVersion": "orkestra.orkspace.io/v1", "kind": "Katalog",
		"metadata": map[string]any{"name": "platform", "namespace": ns}, "spec": map[string]any{"crds": map[string]any{}}}
}

// writeBundle encodes a bundle whose ConfigMap is bundleNS/katalog and
// writes it to dir/name.
func writeBundle(tb testing.TB, dir, name, bundleNS string, manifests ...map[string]any) string {
	tb.Helper()
	data, err := bundle.Encode(bundle.Spec{Name: "katalog", Namespace: bundleNS, Environment: "test", Manifests: manifests,
		Sources: []bundle.Pin{{Name: "base", Type: "path", Location: "./katalog", ID: "sha256:0000"}}})
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

func digestOf(tb testing.TB, path string) string {
	tb.Helper()
	b, err := bundle.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b.Digest
}
