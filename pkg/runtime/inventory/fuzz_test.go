package inventory

import (
	"reflect"
	"testing"
)

// FuzzParseInventory: whatever an ApplySet parent's annotations hold,
// ParseInventory returns an error or an inventory that its own
// annotations give back unchanged.
func FuzzParseInventory(f *testing.F) {
	f.Add("Deployment.apps,Namespace,Service", "apps,identity")
	f.Add("", "")
	f.Add(".apps,", " , ")
	f.Fuzz(func(t *testing.T, kinds, namespaces string) {
		inv, err := ParseInventory(map[string]string{GroupKindsAnnotation: kinds, NamespacesAnnotation: namespaces})
		if err != nil {
			return
		}
		back, err := ParseInventory(inv.Annotations())
		if err != nil {
			t.Fatalf("annotations of a parsed inventory do not parse: %v", err)
		}
		if !reflect.DeepEqual(back, inv) {
			t.Fatalf("round trip: %v became %v", inv, back)
		}
	})
}
