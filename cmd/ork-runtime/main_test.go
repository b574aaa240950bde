package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	demo, err := os.ReadFile(filepath.Join("..", "..", "bundles", "production.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tampered := filepath.Join(dir, "tampered.yaml")
	if err := os.WriteFile(tampered, bytes.Replace(demo, []byte("replicas: 3"), []byte("replicas: 30"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.yaml")
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no bundle", []string{"--log-format", "json"}, 1, "give exactly one of --bundle FILE and --configmap NAMESPACE/NAME"},
		{"both", []string{"--bundle", "b.yaml", "--configmap", "a/b"}, 1, "give exactly one of"},
		{"an argument", []string{"extra"}, 2, `ork-runtime takes no arguments, got ["extra"]`},
		{"unknown flag", []string{"--nope"}, 2, "flag provided but not defined: -nope"},
		{"bad log format", []string{"--log-format", "xml"}, 2, `--log-format "xml": want text or json`},
		{"tampered", []string{"--bundle", tampered}, 3, "tampered.yaml: bundle was altered after it was generated: the ConfigMap data hashes to"},
		{"unreadable", []string{"--bundle", missing}, 1, "missing.yaml: no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("KUBECONFIG", filepath.Join(dir, "no-kubeconfig")) // never reach a cluster
			var stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stderr)
			if code != tt.code || !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("exit %d, stderr %q; want exit %d and …%s…", code, stderr.String(), tt.code, tt.stderr)
			}
		})
	}
}
