package inventory

import (
	"reflect"
	"testing"
)

func TestOrder(t *testing.T) {
	ns := Key{Kind: "Namespace", Name: "apps"}
	crd := Key{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition", Name: "helloworlds.apps.orcra.io"}
	sa := Key{Kind: "ServiceAccount", Namespace: "apps", Name: "a"}
	cm := Key{Kind: "ConfigMap", Namespace: "apps", Name: "a"}
	svcA := Key{Kind: "Service", Namespace: "apps", Name: "a"}
	svcB := Key{Kind: "Service", Namespace: "apps", Name: "b"}
	svcOther := Key{Kind: "Service", Namespace: "identity", Name: "a"}
	deploy := Key{Group: "apps", Kind: "Deployment", Namespace: "apps", Name: "a"}
	ing := Key{Group: "networking.k8s.io", Kind: "Ingress", Namespace: "apps", Name: "a"}
	cr := Key{Group: "apps.orcra.io", Kind: "HelloWorld", Namespace: "apps", Name: "a"}
	cr2 := Key{Group: "example.com", Kind: "Widget", Namespace: "apps", Name: "a"}
	webhook := Key{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration", Name: "w"}
	fakeDeploy := Key{Group: "example.com", Kind: "Deployment", Namespace: "apps", Name: "a"} // a custom kind named like a built-in
	tests := []struct {
		name string
		in   []Key
		want []Key
	}{
		{"empty", nil, nil},
		{"foundations first", []Key{deploy, crd, ns}, []Key{ns, crd, deploy}},
		{"configuration before workloads, ingress after", []Key{ing, deploy, svcA, cm, sa}, []Key{sa, cm, svcA, deploy, ing}},
		{"custom resources after built-ins", []Key{cr2, cr, ing, ns}, []Key{ns, ing, cr, cr2}},
		{"webhooks last", []Key{webhook, cr, ns}, []Key{ns, cr, webhook}},
		{"same kind by namespace then name", []Key{svcOther, svcB, svcA}, []Key{svcA, svcB, svcOther}},
		{"kinds are told apart by group", []Key{fakeDeploy, deploy}, []Key{deploy, fakeDeploy}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := append([]Key(nil), tt.in...)
			Order(got)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Order(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestWaves(t *testing.T) {
	ns1 := Key{Kind: "Namespace", Name: "a"}
	ns2 := Key{Kind: "Namespace", Name: "b"}
	svc := Key{Kind: "Service", Namespace: "a", Name: "s"}
	cr1 := Key{Group: "x.io", Kind: "A", Namespace: "a", Name: "1"}
	cr2 := Key{Group: "y.io", Kind: "B", Namespace: "a", Name: "1"}
	tests := []struct {
		name string
		in   []Key
		want [][]Key
	}{
		{"empty", nil, nil},
		{"one wave", []Key{ns1, ns2}, [][]Key{{ns1, ns2}}},
		{"one wave per rank; custom kinds share one", []Key{ns1, ns2, svc, cr1, cr2}, [][]Key{{ns1, ns2}, {svc}, {cr1, cr2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Waves(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Waves = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestKeyString(t *testing.T) {
	tests := []struct {
		k    Key
		want string
	}{
		{Key{Kind: "Namespace", Name: "apps"}, "Namespace apps"},
		{Key{Group: "apps", Kind: "Deployment", Namespace: "identity", Name: "keycloak"}, "Deployment.apps identity/keycloak"},
	}
	for _, tt := range tests {
		if got := tt.k.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.k, got, tt.want)
		}
	}
}
