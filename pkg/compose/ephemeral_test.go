package compose

import (
	"reflect"
	"testing"

	"github.com/orkdev/ork/pkg/manifest"
)

func katalogOf(t *testing.T, objs ...map[string]any) *Katalog {
	t.Helper()
	kat := &Katalog{byID: map[manifest.ID]*entry{}}
	for _, o := range objs {
		id, err := manifest.IDOf(o)
		if err != nil {
			t.Fatal(err)
		}
		kat.IDs = append(kat.IDs, id)
		kat.byID[id] = &entry{id: id, obj: o}
	}
	return kat
}

type m = map[string]any
type l = []any

func TestRenameEphemeral(t *testing.T) {
	kat := katalogOf(t,
		m{"apiVersion": "v1", "kind": "Namespace", "metadata": m{"name": "apps"}},
		m{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": m{"name": "web", "namespace": "apps"}},
		m{"apiVersion": "v1", "kind": "ConfigMap", "metadata": m{"name": "web-config", "namespace": "apps"}},
		m{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": m{"name": "web", "namespace": "apps", "labels": m{"app": "web", "team": "web"}},
			"spec": m{"selector": m{"matchLabels": m{"app": "web"}}, "template": m{
				"metadata": m{"labels": m{"app": "web"}},
				"spec": m{"serviceAccountName": "web", "containers": l{m{"name": "web",
					"envFrom": l{m{"configMapRef": m{"name": "web-config"}}, m{"secretRef": m{"name": "external"}}}}},
					"volumes": l{m{"name": "cfg", "configMap": m{"name": "web-config"}}}}}}},
		m{"apiVersion": "v1", "kind": "Service", "metadata": m{"name": "web", "namespace": "apps"}, "spec": m{"selector": m{"app": "web"}}},
		m{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": m{"name": "web", "namespace": "apps"},
			"roleRef":  m{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
			"subjects": l{m{"kind": "ServiceAccount", "name": "web", "namespace": "apps"}, m{"kind": "User", "name": "web"}}},
		m{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": m{"name": "things.example.com"}},
	)
	renameEphemeral(kat, "feat-")

	get := func(kind, ns, name string) m {
		t.Helper()
		e, ok := kat.byID[manifest.ID{Group: groupOf(kind), Kind: kind, Namespace: ns, Name: name}]
		if !ok {
			t.Fatalf("no %s %s/%s after renaming; have %v", kind, ns, name, kat.IDs)
		}
		return e.obj
	}
	get("Namespace", "", "feat-apps")
	get("CustomResourceDefinition", "", "things.example.com")
	d := get("Deployment", "feat-apps", "feat-web")
	spec := d["spec"].(m)["template"].(m)["spec"].(m)
	for _, check := range []struct {
		got, want any
		what      string
	}{
		{spec["serviceAccountName"], "feat-web", "service account"},
		{spec["containers"].(l)[0].(m)["envFrom"].(l)[0].(m)["configMapRef"].(m)["name"], "feat-web-config", "envFrom configMap"},
		{spec["containers"].(l)[0].(m)["envFrom"].(l)[1].(m)["secretRef"].(m)["name"], "external", "a Secret not in the Katalog"},
		{spec["volumes"].(l)[0].(m)["configMap"].(m)["name"], "feat-web-config", "volume"},
		{spec["containers"].(l)[0].(m)["name"], "web", "container names are not manifests"},
		{d["metadata"].(m)["labels"], m{"app": "feat-web", "team": "web"}, "labels: only selector labels"},
		{d["spec"].(m)["selector"], m{"matchLabels": m{"app": "feat-web"}}, "selector"},
		{get("Service", "feat-apps", "feat-web")["spec"].(m)["selector"], m{"app": "feat-web"}, "Service selector"},
	} {
		if !reflect.DeepEqual(check.got, check.want) {
			t.Errorf("%s: got %v, want %v", check.what, check.got, check.want)
		}
	}
	rb := get("RoleBinding", "feat-apps", "feat-web")
	if got := rb["roleRef"].(m)["name"]; got != "view" {
		t.Errorf("a ClusterRole not in the Katalog was renamed to %v", got)
	}
	subjects := rb["subjects"].(l)
	if s := subjects[0].(m); s["name"] != "feat-web" || s["namespace"] != "feat-apps" {
		t.Errorf("ServiceAccount subject = %v", s)
	}
	if s := subjects[1].(m); s["name"] != "web" {
		t.Errorf("a User subject was renamed: %v", s)
	}
}

func groupOf(kind string) string {
	switch kind {
	case "Deployment":
		return "apps"
	case "RoleBinding":
		return "rbac.authorization.k8s.io"
	case "CustomResourceDefinition":
		return "apiextensions.k8s.io"
	}
	return ""
}
