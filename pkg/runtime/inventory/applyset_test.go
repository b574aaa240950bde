package inventory

import (
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestApplySetID holds the id to kubectl's: kubectl v1.32.13 labelled the
// parent of `KUBECTL_APPLYSET=true kubectl apply --server-side --prune
// --applyset=configmaps/myset -n i11-idcheck` with this id.
func TestApplySetID(t *testing.T) {
	got := ApplySetID("myset", "i11-idcheck", schema.GroupKind{Kind: "ConfigMap"})
	if want := "applyset-y1995BS3ODTmImfEntYrsYcK5_48GnVPlNeytqsxOuM-v1"; got != want {
		t.Errorf("ApplySetID = %q, want kubectl's %q", got, want)
	}
}

func TestInventory(t *testing.T) {
	deploy := Key{Group: "apps", Kind: "Deployment", Namespace: "apps", Name: "a"}
	svc := Key{Kind: "Service", Namespace: "platform", Name: "a"}
	ns := Key{Kind: "Namespace", Name: "apps"}
	cr := Key{Group: "apps.orcra.io", Kind: "HelloWorld", Namespace: "identity", Name: "h"}
	tests := []struct {
		name   string
		keys   []Key
		parent string
		want   map[string]string
	}{
		{"empty", nil, "platform", map[string]string{
			ToolingAnnotation: Tooling, GroupKindsAnnotation: "", NamespacesAnnotation: "",
		}},
		{"sorted kinds; namespaces but the parent's", []Key{svc, cr, deploy, ns}, "platform", map[string]string{
			ToolingAnnotation:    Tooling,
			GroupKindsAnnotation: "Deployment.apps,HelloWorld.apps.orcra.io,Namespace,Service",
			NamespacesAnnotation: "apps,identity",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := InventoryOf(tt.keys, tt.parent)
			got := inv.Annotations()
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Annotations = %v, want %v", got, tt.want)
			}
			back, err := ParseInventory(got)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back.Annotations(), got) {
				t.Errorf("ParseInventory(Annotations()) = %v, want %v", back.Annotations(), got)
			}
		})
	}
}

func TestParseInventory(t *testing.T) {
	tests := []struct {
		name    string
		ann     map[string]string
		kinds   []schema.GroupKind
		nss     []string
		wantErr bool
	}{
		{"none", nil, nil, nil, false},
		{"kubectl's", map[string]string{GroupKindsAnnotation: "ConfigMap,Deployment.apps", NamespacesAnnotation: ""},
			[]schema.GroupKind{{Kind: "ConfigMap"}, {Group: "apps", Kind: "Deployment"}}, nil, false},
		{"spaces and empty items", map[string]string{GroupKindsAnnotation: " Service ,,Ingress.networking.k8s.io", NamespacesAnnotation: "a, b"},
			[]schema.GroupKind{{Kind: "Service"}, {Group: "networking.k8s.io", Kind: "Ingress"}}, []string{"a", "b"}, false},
		{"a group without a kind", map[string]string{GroupKindsAnnotation: ".apps"}, nil, nil, true},
		{"a space in a kind", map[string]string{GroupKindsAnnotation: "Config Map"}, nil, nil, true},
		{"a bad group", map[string]string{GroupKindsAnnotation: "Deployment.Apps"}, nil, nil, true},
		{"a bad namespace", map[string]string{NamespacesAnnotation: "My_NS"}, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := ParseInventory(tt.ann)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			want := Inventory{GroupKinds: map[schema.GroupKind]bool{}, Namespaces: map[string]bool{}}
			for _, gk := range tt.kinds {
				want.GroupKinds[gk] = true
			}
			for _, ns := range tt.nss {
				want.Namespaces[ns] = true
			}
			if !reflect.DeepEqual(inv, want) {
				t.Errorf("ParseInventory = %v, want %v", inv, want)
			}
		})
	}
}

func TestUnion(t *testing.T) {
	a := InventoryOf([]Key{{Kind: "Service", Namespace: "x", Name: "s"}}, "p")
	b := InventoryOf([]Key{{Group: "apps", Kind: "Deployment", Namespace: "y", Name: "d"}}, "p")
	got := a.Union(b).Annotations()
	want := map[string]string{ToolingAnnotation: Tooling, GroupKindsAnnotation: "Deployment.apps,Service", NamespacesAnnotation: "x,y"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Union = %v, want %v", got, want)
	}
	if len(a.GroupKinds) != 1 || len(b.GroupKinds) != 1 {
		t.Error("Union changed its operands")
	}
}

func TestPrunable(t *testing.T) {
	ns := Key{Kind: "Namespace", Name: "old"}
	svc := Key{Kind: "Service", Namespace: "old", Name: "s"}
	deploy := Key{Group: "apps", Kind: "Deployment", Namespace: "old", Name: "d"}
	keep := Key{Kind: "Service", Namespace: "apps", Name: "keep"}
	cr := Key{Group: "apps.orcra.io", Kind: "HelloWorld", Namespace: "old", Name: "h"}
	crd := Key{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition", Name: "helloworlds.apps.orcra.io"}
	tests := []struct {
		name    string
		desired []Key
		live    []Key
		want    []Key
		kept    []Key // Namespaces and CRDs: never deleted
	}{
		{"nothing live", []Key{keep}, nil, nil, nil},
		{"all desired", []Key{keep, svc}, []Key{svc, keep}, nil, nil},
		{"reverse apply order, once each", []Key{keep}, []Key{ns, svc, keep, deploy, cr, svc}, []Key{cr, deploy, svc}, []Key{ns}},
		{"a CRD is kept, its custom resources pruned", nil, []Key{crd, cr}, []Key{cr}, []Key{crd}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			desired := map[Key]bool{}
			for _, k := range tt.desired {
				desired[k] = true
			}
			got, kept := Prunable(desired, tt.live)
			if !reflect.DeepEqual(got, tt.want) || !reflect.DeepEqual(kept, tt.kept) {
				t.Errorf("Prunable = %v, kept %v; want %v, kept %v", got, kept, tt.want, tt.kept)
			}
		})
	}
}
