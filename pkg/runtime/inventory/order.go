// Package inventory is the bookkeeping of ork-runtime: which objects it
// holds (Key), in which order it applies them (Order, Waves), and the
// ApplySet that records them in the cluster for pruning (ApplySetID,
// Inventory, Prunable). It does no I/O.
package inventory

import (
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Key names one object: its API group, kind, namespace and name.
type Key struct {
	Group, Kind, Namespace, Name string
}

// GroupKind returns the key's group and kind.
func (k Key) GroupKind() schema.GroupKind { return schema.GroupKind{Group: k.Group, Kind: k.Kind} }

// String names the object as ork's messages do: "Deployment.apps ns/name".
func (k Key) String() string {
	gk := k.GroupKind().String()
	if k.Namespace == "" {
		return gk + " " + k.Name
	}
	return fmt.Sprintf("%s %s/%s", gk, k.Namespace, k.Name)
}

// kindOrder is the order in which kinds are applied: what others refer to
// first (namespaces, CRDs, policies, identities, configuration, storage,
// RBAC), then services, then workloads, then ingress. Kinds not listed
// (custom resources, among others) come after them, webhook configurations
// last, so that a webhook whose service is not up yet blocks nothing.
var kindOrder = []schema.GroupKind{
	{Group: "", Kind: "Namespace"},
	{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"},
	{Group: "scheduling.k8s.io", Kind: "PriorityClass"},
	{Group: "networking.k8s.io", Kind: "NetworkPolicy"},
	{Group: "", Kind: "ResourceQuota"},
	{Group: "", Kind: "LimitRange"},
	{Group: "policy", Kind: "PodDisruptionBudget"},
	{Group: "", Kind: "ServiceAccount"},
	{Group: "", Kind: "Secret"},
	{Group: "", Kind: "ConfigMap"},
	{Group: "storage.k8s.io", Kind: "StorageClass"},
	{Group: "", Kind: "PersistentVolume"},
	{Group: "", Kind: "PersistentVolumeClaim"},
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"},
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"},
	{Group: "rbac.authorization.k8s.io", Kind: "Role"},
	{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"},
	{Group: "", Kind: "Service"},
	{Group: "apps", Kind: "DaemonSet"},
	{Group: "", Kind: "Pod"},
	{Group: "", Kind: "ReplicationController"},
	{Group: "apps", Kind: "ReplicaSet"},
	{Group: "apps", Kind: "Deployment"},
	{Group: "apps", Kind: "StatefulSet"},
	{Group: "autoscaling", Kind: "HorizontalPodAutoscaler"},
	{Group: "batch", Kind: "Job"},
	{Group: "batch", Kind: "CronJob"},
	{Group: "networking.k8s.io", Kind: "IngressClass"},
	{Group: "networking.k8s.io", Kind: "Ingress"},
	{Group: "apiregistration.k8s.io", Kind: "APIService"},
}

var lastKinds = []schema.GroupKind{
	{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration"},
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration"},
}

// Rank is the apply order of a kind: lower first.
func Rank(gk schema.GroupKind) int {
	for i, k := range kindOrder {
		if k == gk {
			return i
		}
	}
	for i, k := range lastKinds {
		if k == gk {
			return len(kindOrder) + 1 + i
		}
	}
	return len(kindOrder) // custom resources and kinds not listed
}

// IsFoundation reports whether objects of a kind are applied before the
// others and waited for: Namespaces and CustomResourceDefinitions.
func IsFoundation(gk schema.GroupKind) bool { return Rank(gk) <= 1 }

// Order sorts keys into apply order: by Rank, then group, kind, namespace
// and name. Pruning deletes in the reverse order.
func Order(keys []Key) {
	sort.SliceStable(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if ra, rb := Rank(a.GroupKind()), Rank(b.GroupKind()); ra != rb {
			return ra < rb
		}
		if a.Group != b.Group {
			return a.Group < b.Group
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
}

// Waves splits keys sorted by Order into runs of one rank: the objects of
// a wave do not depend on each other and are applied in parallel; a wave
// starts when the one before it is done.
func Waves(keys []Key) [][]Key {
	var waves [][]Key
	for i := 0; i < len(keys); {
		j := i + 1
		r := Rank(keys[i].GroupKind())
		for j < len(keys) && Rank(keys[j].GroupKind()) == r {
			j++
		}
		waves = append(waves, keys[i:j])
		i = j
	}
	return waves
}
