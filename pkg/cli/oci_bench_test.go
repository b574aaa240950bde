package cli

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// BenchmarkOCI pushes and pulls a directory of 500 manifests to and from a
// local docker-registry with ork and with the oras CLI (the directory as
// one tar+gzip layer, the shape of ork's artifact), each a process as a
// user runs it, alternating so both see the same machine. It reports the
// median of each and ork's ratio to oras:
//
//	go test -run '^$' -bench BenchmarkOCI -benchtime 10x ./pkg/cli
func BenchmarkOCI(b *testing.B) {
	if _, err := exec.LookPath(registryBinary); err != nil {
		b.Skipf("%s is not installed: run .ci/registry.sh", registryBinary)
	}
	oras := filepath.Join(goBin(), "oras")
	if _, err := os.Stat(oras); err != nil {
		if oras, err = exec.LookPath("oras"); err != nil {
			b.Skip("oras is not installed: run .ci/registry.sh")
		}
	}
	work := b.TempDir()
	ork := filepath.Join(work, "ork")
	if out, err := exec.Command("go", "build", "-o", ork, "../../cmd/ork").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	src := filepath.Join(work, "katalog")
	if err := writeManifests(src, 500); err != nil {
		b.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	regDir := filepath.Join(work, "registry")
	os.MkdirAll(regDir, 0o755)
	addr, cmd, err := runRegistry(regDir, port, "", "")
	if cmd != nil {
		defer stopProcess(cmd)
	}
	if err != nil {
		b.Fatal(err)
	}
	env := append(os.Environ(), "HOME="+work, "DOCKER_CONFIG="+filepath.Join(work, ".docker"), "ORK_CACHE_DIR="+filepath.Join(work, "cache"))
	run := func(dir string, name string, args ...string) time.Duration {
		c := exec.Command(name, args...)
		c.Dir, c.Env = dir, env
		start := time.Now()
		out, err := c.CombinedOutput()
		d := time.Since(start)
		if err != nil {
			b.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return d
	}
	var orkPush, orasPush, orkPull, orasPull []time.Duration
	b.ResetTimer()
	for i := range b.N {
		// A new repository each time, so every push uploads its blobs.
		orkRef := fmt.Sprintf("%s/bench/ork-%d:1", addr, i)
		orasRef := fmt.Sprintf("%s/bench/oras-%d:1", addr, i)
		orkPush = append(orkPush, run(work, ork, "push", src, orkRef))
		orasPush = append(orasPush, run(work, oras, "push", "--plain-http", "--no-tty", orasRef, "katalog"))
		orkPull = append(orkPull, run(work, ork, "pull", orkRef, filepath.Join(work, fmt.Sprintf("ork-out-%d", i))))
		orasPull = append(orasPull, run(work, oras, "pull", "--plain-http", "--no-tty", "-o", filepath.Join(work, fmt.Sprintf("oras-out-%d", i)), orasRef))
	}
	b.StopTimer()
	report := func(name string, ours, theirs []time.Duration) {
		o, t := median(ours), median(theirs)
		b.ReportMetric(float64(o.Microseconds())/1000, "ms-ork-"+name)
		b.ReportMetric(float64(t.Microseconds())/1000, "ms-oras-"+name)
		b.ReportMetric(float64(o)/float64(t), "ratio-"+name)
	}
	report("push", orkPush, orasPush)
	report("pull", orkPull, orasPull)
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// writeManifests writes n Deployments of about 1 KiB each below dir, 50 to
// a directory.
func writeManifests(dir string, n int) error {
	for i := range n {
		sub := filepath.Join(dir, fmt.Sprintf("team-%02d", i/50))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return err
		}
		doc := fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: service-%03d
  namespace: team-%02d
  labels: {app.kubernetes.io/name: service-%03d, app.kubernetes.io/part-of: platform}
spec:
  replicas: %d
  selector:
    matchLabels: {app.kubernetes.io/name: service-%03d}
  template:
    metadata:
      labels: {app.kubernetes.io/name: service-%03d}
    spec:
      containers:
        - name: app
          image: registry.example.com/team-%02d/service-%03d:1.%d.0
          ports: [{name: http, containerPort: 8080}]
          env:
            - {name: SERVICE_NAME, value: service-%03d}
            - {name: LOG_LEVEL, value: info}
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {cpu: 500m, memory: 256Mi}
`, i, i/50, i, 1+i%3, i, i, i/50, i, i%10, i)
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("service-%03d.yaml", i)), []byte(doc), 0o644); err != nil {
			return err
		}
	}
	return nil
}
