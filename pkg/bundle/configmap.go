package bundle

// VerifyConfigMap checks a bundle read from its ConfigMap alone (with
// FromConfigMap, as a runtime reads it from the API): the digest over the
// ConfigMap's data, and its environment label, name and namespace against
// lock.yaml, so that another environment's ConfigMap copied under this
// one's name is refused. The CRD documents stand outside the ConfigMap, so
// their hashes, which lock.yaml lists, are not checked here; Verify checks
// them in a bundle file.
func (b *Bundle) VerifyConfigMap() error {
	_, older, err := b.verifyConfigMap()
	if err == nil && older {
		err = errOlderFormat()
	}
	return err
}
