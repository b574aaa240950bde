package compose

import (
	"reflect"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/orkdev/ork/pkg/manifest"
)

func TestImageUses(t *testing.T) {
	for _, tc := range []struct {
		name string
		id   manifest.ID
		yaml string
		want []string // path=value
	}{
		{"pod", manifest.ID{Kind: "Pod"}, `
spec:
  initContainers: [{name: init, image: "busybox:1.36"}]
  containers: [{name: app, image: "app:1"}, {name: side, image: "side:2"}]
  ephemeralContainers: [{name: debug, image: "debug:3"}]`,
			[]string{"spec.initContainers.0.image=busybox:1.36", "spec.containers.0.image=app:1", "spec.containers.1.image=side:2", "spec.ephemeralContainers.0.image=debug:3"}},
		{"deployment", manifest.ID{Group: "apps", Kind: "Deployment"}, `
spec: {template: {spec: {containers: [{name: app, image: "app:1"}]}}}`,
			[]string{"spec.template.spec.containers.0.image=app:1"}},
		{"statefulset", manifest.ID{Group: "apps", Kind: "StatefulSet"}, `
spec: {template: {spec: {containers: [{name: db, image: "db:14"}]}}}`,
			[]string{"spec.template.spec.containers.0.image=db:14"}},
		{"daemonset", manifest.ID{Group: "apps", Kind: "DaemonSet"}, `
spec: {template: {spec: {initContainers: [{name: i, image: "i:1"}]}}}`,
			[]string{"spec.template.spec.initContainers.0.image=i:1"}},
		{"replicaset", manifest.ID{Group: "apps", Kind: "ReplicaSet"}, `
spec: {template: {spec: {containers: [{name: a, image: "a:1"}]}}}`,
			[]string{"spec.template.spec.containers.0.image=a:1"}},
		{"job", manifest.ID{Group: "batch", Kind: "Job"}, `
spec: {template: {spec: {containers: [{name: a, image: "a:1"}]}}}`,
			[]string{"spec.template.spec.containers.0.image=a:1"}},
		{"cronjob", manifest.ID{Group: "batch", Kind: "CronJob"}, `
spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: a, image: "a:1"}]}}}}}`,
			[]string{"spec.jobTemplate.spec.template.spec.containers.0.image=a:1"}},
		{"pod template", manifest.ID{Kind: "PodTemplate"}, `
template: {spec: {containers: [{name: a, image: "a:1"}]}}`,
			[]string{"template.spec.containers.0.image=a:1"}},
		{"a CRD's Deployment is not a workload", manifest.ID{Group: "example.com", Kind: "Deployment"}, `
spec: {template: {spec: {containers: [{name: a, image: "a:1"}]}}}`, nil},
		{"a ConfigMap's image key is data", manifest.ID{Kind: "ConfigMap"}, `
data: {image: "a:1"}`, nil},
		{"no image yet", manifest.ID{Group: "apps", Kind: "Deployment"}, `
spec: {template: {spec: {containers: [{name: a}]}}}`, nil},
		{"orkestra templates", manifest.ID{Group: "orkestra.orkspace.io", Kind: "Katalog"}, `
spec:
  image: "not-a-template:1"
  crds:
    web:
      operatorBox:
        onCreate:
          deployments: [{name: web, image: "web:1"}]
        onReconcile:
          templates:
            - apiVersion: apps/v1
              kind: Deployment
              spec: {template: {spec: {containers: [{name: c, image: "c:2"}, {name: t, image: "{{ .spec.image }}"}]}}}
        onDelete:
          jobs: [{name: cleanup, image: "cleanup:3"}]`,
			[]string{"spec.crds.web.operatorBox.onCreate.deployments.0.image=web:1",
				"spec.crds.web.operatorBox.onDelete.jobs.0.image=cleanup:3",
				"spec.crds.web.operatorBox.onReconcile.templates.0.spec.template.spec.containers.0.image=c:2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var obj map[string]any
			if err := yaml.Unmarshal([]byte(tc.yaml), &obj); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, u := range imageUses(tc.id, obj) {
				got = append(got, joinDots(u.path)+"="+u.value)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("imageUses =\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func joinDots(p []string) string {
	s := ""
	for i, x := range p {
		if i > 0 {
			s += "."
		}
		s += x
	}
	return s
}

// TestSetPathCopies checks that rewriting an image leaves the objects it
// was built from alone: layers share them between environments.
func TestSetPathCopies(t *testing.T) {
	shared := map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "a", "image": "a:1"}}}}
	out := setPath(shared, []string{"spec", "containers", "0", "image"}, "a:1@sha256:x").(map[string]any)
	if got := lookup(out, []string{"spec", "containers", "0", "image"}); got != "a:1@sha256:x" {
		t.Errorf("rewritten image = %v", got)
	}
	if got := lookup(shared, []string{"spec", "containers", "0", "image"}); got != "a:1" {
		t.Errorf("the shared object changed: %v", got)
	}
}
