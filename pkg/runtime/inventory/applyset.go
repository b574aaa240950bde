package inventory

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The ApplySet labels and annotations, as kubectl apply --prune --applyset
// writes them (KEP-3659): the parent object carries the set's id, its
// tooling, the group-kinds and the namespaces of its members; each member
// carries the part-of label. kubectl can read a set the runtime wrote.
const (
	PartOfLabel           = "applyset.kubernetes.io/part-of"
	IDLabel               = "applyset.kubernetes.io/id"
	ToolingAnnotation     = "applyset.kubernetes.io/tooling"
	GroupKindsAnnotation  = "applyset.kubernetes.io/contains-group-kinds"
	NamespacesAnnotation  = "applyset.kubernetes.io/additional-namespaces"
	Tooling               = "ork-runtime/v1"
	DigestAnnotation      = "ork.dev/live-digest"
	EnvironmentAnnotation = "ork.dev/live-environment"
)

// ApplySetID is the id of the ApplySet whose parent is the object of kind
// and group named namespace/name: "applyset-" + the unpadded URL-safe
// base64 of the sha256 of "name.namespace.kind.group" + "-v1", as kubectl
// computes it.
func ApplySetID(name, namespace string, gk schema.GroupKind) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{name, namespace, gk.Kind, gk.Group}, ".")))
	return fmt.Sprintf("applyset-%s-v1", base64.RawURLEncoding.EncodeToString(sum[:]))
}

// Inventory is what an ApplySet's parent records about its members: which
// group-kinds they have, and in which namespaces besides the parent's.
type Inventory struct {
	GroupKinds map[schema.GroupKind]bool
	Namespaces map[string]bool
}

// InventoryOf returns the inventory of a set of members whose parent lives
// in parentNamespace.
func InventoryOf(keys []Key, parentNamespace string) Inventory {
	inv := Inventory{GroupKinds: map[schema.GroupKind]bool{}, Namespaces: map[string]bool{}}
	for _, k := range keys {
		inv.GroupKinds[k.GroupKind()] = true
		if k.Namespace != "" && k.Namespace != parentNamespace {
			inv.Namespaces[k.Namespace] = true
		}
	}
	return inv
}

// ParseInventory reads a parent's annotations. A malformed group-kind or
// namespace is an error: pruning on a misread inventory would miss members.
func ParseInventory(annotations map[string]string) (Inventory, error) {
	inv := Inventory{GroupKinds: map[schema.GroupKind]bool{}, Namespaces: map[string]bool{}}
	for _, s := range split(annotations[GroupKindsAnnotation]) {
		gk := schema.ParseGroupKind(s)
		if !kindRE.MatchString(gk.Kind) || gk.Group != "" && !groupRE.MatchString(gk.Group) {
			return inv, fmt.Errorf("annotation %s: %q is not Kind.group", GroupKindsAnnotation, s)
		}
		inv.GroupKinds[gk] = true
	}
	for _, ns := range split(annotations[NamespacesAnnotation]) {
		if !namespaceRE.MatchString(ns) {
			return inv, fmt.Errorf("annotation %s: %q is not a namespace name", NamespacesAnnotation, ns)
		}
		inv.Namespaces[ns] = true
	}
	return inv, nil
}

var (
	kindRE      = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*$`)
	groupRE     = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$`)
	namespaceRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
)

func split(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Union returns the inventory holding both.
func (inv Inventory) Union(other Inventory) Inventory {
	out := Inventory{GroupKinds: map[schema.GroupKind]bool{}, Namespaces: map[string]bool{}}
	for _, i := range []Inventory{inv, other} {
		for gk := range i.GroupKinds {
			out.GroupKinds[gk] = true
		}
		for ns := range i.Namespaces {
			out.Namespaces[ns] = true
		}
	}
	return out
}

// Annotations renders the inventory as the parent's annotations, sorted.
func (inv Inventory) Annotations() map[string]string {
	gks := make([]string, 0, len(inv.GroupKinds))
	for gk := range inv.GroupKinds {
		gks = append(gks, gk.String())
	}
	sort.Strings(gks)
	nss := make([]string, 0, len(inv.Namespaces))
	for ns := range inv.Namespaces {
		nss = append(nss, ns)
	}
	sort.Strings(nss)
	return map[string]string{ // kubectl writes the namespaces even when there are none
		ToolingAnnotation:    Tooling,
		GroupKindsAnnotation: strings.Join(gks, ","),
		NamespacesAnnotation: strings.Join(nss, ","),
	}
}

// SortedGroupKinds returns the inventory's group-kinds in apply order.
func (inv Inventory) SortedGroupKinds() []schema.GroupKind {
	keys := make([]Key, 0, len(inv.GroupKinds))
	for gk := range inv.GroupKinds {
		keys = append(keys, Key{Group: gk.Group, Kind: gk.Kind})
	}
	Order(keys)
	out := make([]schema.GroupKind, len(keys))
	for i, k := range keys {
		out[i] = k.GroupKind()
	}
	return out
}

// Prunable returns the live members of the set that the desired set no
// longer holds, in deletion order (the reverse of apply order), and apart
// from them the Namespaces and CRDs among them, which are never deleted:
// deleting one deletes everything in it (every object of the namespace,
// every custom resource of the CRD), much of which the runtime may not have
// applied.
func Prunable(desired map[Key]bool, live []Key) (prune, kept []Key) {
	seen := map[Key]bool{}
	for _, k := range live {
		if desired[k] || seen[k] {
			continue
		}
		seen[k] = true
		if IsFoundation(k.GroupKind()) {
			kept = append(kept, k)
		} else {
			prune = append(prune, k)
		}
	}
	Order(prune)
	slices.Reverse(prune)
	Order(kept)
	return prune, kept
}
