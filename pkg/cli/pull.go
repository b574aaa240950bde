package cli

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

func pullCommand() *cli.Command {
	return &cli.Command{
		Name:      "pull",
		Usage:     "write the files of the OCI artifact at REF into DIR",
		ArgsUsage: "REF DIR",
		Description: "REF is REGISTRY/REPOSITORY:TAG, REGISTRY/REPOSITORY@sha256:DIGEST or oci-layout:PATH:TAG.\n" +
			"DIR is written atomically and must be empty or absent unless --force.",
		Flags: withGlobals(
			&cli.BoolFlag{Name: "force", EnvVars: []string{"ORK_FORCE"}, Usage: "replace the content of a non-empty DIR"},
		),
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return fmt.Errorf("pull takes a reference and a directory (ork pull REF DIR), got %d arguments", c.NArg())
			}
			g := readGlobals(c)
			client, err := newOCIClient(g, nil)
			if err != nil {
				return err
			}
			ref, dir := c.Args().Get(0), c.Args().Get(1)
			a, err := client.Pull(c.Context, ref)
			if err != nil {
				return err
			}
			if err := a.WriteDir(dir, c.Bool("force")); err != nil {
				return fmt.Errorf("pulling %s: %w", ref, err)
			}
			if !g.quiet {
				files := "files"
				if len(a.Files) == 1 {
					files = "file"
				}
				fmt.Fprintf(c.App.Writer, "%s: %d %s written to %s (%s)\n", ref, len(a.Files), files, dir, a.Digest)
			}
			return nil
		},
	}
}
