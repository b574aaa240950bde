package fieldpath

import (
	"testing"

	"go.yaml.in/yaml/v3"
)

const deployment = `
metadata:
  labels: {app.kubernetes.io/name: app}
spec:
  rules: [{host: a}, {host: b}]
  args: [x, y]
  template:
    spec:
      containers:
        - name: app
          env:
            - {name: APP_ENV, value: dev}
            - {name: "weird name", value: x}
        - name: sidecar
`

func TestFormat(t *testing.T) {
	var root any
	if err := yaml.Unmarshal([]byte(deployment), &root); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path []string
		want string
	}{
		{nil, ""},
		{[]string{"spec", "template", "spec", "containers", "0", "env", "0", "value"}, "spec.template.spec.containers[name=app].env[name=APP_ENV].value"},
		{[]string{"spec", "template", "spec", "containers", "0", "env", "1", "value"}, `spec.template.spec.containers[name=app].env[name="weird name"].value`},
		{[]string{"spec", "template", "spec", "containers", "1", "image"}, "spec.template.spec.containers[name=sidecar].image"},
		{[]string{"spec", "rules", "1", "host"}, "spec.rules[1].host"},
		{[]string{"spec", "args", "0"}, "spec.args[0]"},
		{[]string{"metadata", "labels", "app.kubernetes.io/name"}, `metadata.labels["app.kubernetes.io/name"]`},
		{[]string{"metadata", "labels", `"app.kubernetes.io/name"`}, `metadata.labels["app.kubernetes.io/name"]`},
		// beyond what root has: written as given
		{[]string{"spec", "replica"}, "spec.replica"},
		{[]string{"spec", "template", "spec", "containers", "7", "image"}, "spec.template.spec.containers[7].image"},
		{[]string{"status", "conditions", "0", "type"}, "status.conditions[0].type"},
	} {
		if got := Format(tc.path, root); got != tc.want {
			t.Errorf("Format(%q) = %s, want %s", tc.path, got, tc.want)
		}
	}
	if got := Format([]string{"a", "0"}, nil); got != "a[0]" {
		t.Errorf("Format without a root = %s", got)
	}
}
