package bundle

import "fmt"

// VerifyConfigMap checks a bundle read from its ConfigMap alone (with
// FromConfigMap, as a runtime reads it from the API): the digest over the
// ConfigMap's data, and the environment label against lock.yaml. The CRD
// documents stand outside the ConfigMap, so their hashes, which lock.yaml
// lists, are not checked here; Verify checks them in a bundle file.
func (b *Bundle) VerifyConfigMap() error {
	if got := Digest(b.Data); got != b.Digest {
		return fmt.Errorf("%w: the ConfigMap data hashes to %s, the annotation says %q", ErrTampered, got, b.Digest)
	}
	lock, err := b.Lock()
	if err != nil {
		return err
	}
	if lock.Environment != b.Environment {
		return fmt.Errorf("%w: the ConfigMap is labelled environment %q, its lock.yaml says %q", ErrTampered, b.Environment, lock.Environment)
	}
	return nil
}
