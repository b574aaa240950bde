package cli

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/orkdev/ork/pkg/cache"
	"github.com/orkdev/ork/pkg/source/oci"
)

// ociGlobals are the global options of OCI registries.
type ociGlobals struct {
	plainHTTP bool
	maxSize   string // as given: 64MiB, 1048576, ...
}

// newOCIClient returns the client of OCI artifacts that the global options
// describe; c caches the trees of oci: sources (nil: none).
func newOCIClient(g globals, c *cache.Cache) (*oci.Client, error) {
	limit := int64(oci.DefaultMaxSize)
	if g.oci.maxSize != "" {
		var err error
		if limit, err = oci.ParseSize(g.oci.maxSize); err != nil {
			return nil, fmt.Errorf("--max-artifact-size: %w", err)
		}
	}
	return &oci.Client{Cache: c, Offline: g.offline, PlainHTTP: g.oci.plainHTTP, MaxSize: limit}, nil
}

func pushCommand() *cli.Command {
	return &cli.Command{
		Name:      "push",
		Usage:     "publish the manifests under DIR as an OCI artifact at REF and print its digest",
		ArgsUsage: "DIR REF",
		Description: "REF is REGISTRY/REPOSITORY:TAG, or oci-layout:PATH:TAG for an OCI image layout on disk.\n" +
			"The same files give the same digest; in a Git repository the artifact records its origin and commit.",
		Flags: withGlobals(),
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return fmt.Errorf("push takes a directory and a reference (ork push DIR REF), got %d arguments", c.NArg())
			}
			client, err := newOCIClient(readGlobals(c), nil)
			if err != nil {
				return err
			}
			digest, err := client.Push(c.Context, c.Args().Get(0), c.Args().Get(1))
			if err != nil {
				return err
			}
			fmt.Fprintln(c.App.Writer, digest)
			return nil
		},
	}
}
