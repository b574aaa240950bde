package cli

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/orkdev/ork/pkg/compose"
	"github.com/orkdev/ork/pkg/plan"
)

func explainCommand() *cli.Command {
	return &cli.Command{
		Name:      "explain",
		Usage:     "show which layer set a value: the final value and every change to it, where it is written",
		ArgsUsage: "KIND[.GROUP]/[NAMESPACE/]NAME [FIELD.PATH]",
		Description: `Builds the environment (writing nothing) with the merge of one manifest
traced, and prints the manifest's or the field's final value, then every
layer that set, changed or deleted it, in order, each at its file:line:col
and source, then the templates, domain maps, schema defaults and policies
that filled or changed it.

FIELD.PATH is written as ork diff writes it:
spec.template.spec.containers[name=app].image; [N] for an item of a list
not merged by name (args[0]); ["a.b"] for a key with dots.`,
		Flags: withGlobals(
			&cli.StringFlag{Name: "env", EnvVars: []string{"ORK_ENV"}, Usage: "the environment (required unless the Komposer has one)"},
			&cli.StringFlag{Name: "format", EnvVars: []string{"ORK_FORMAT"}, Value: "text", Usage: "text or json (format_version 1)"},
		),
		Action: runExplain,
	}
}

func runExplain(c *cli.Context) error {
	if c.NArg() < 1 || c.NArg() > 2 {
		return fmt.Errorf("explain takes a manifest and, optionally, a field: ork explain --env E KIND/[NAMESPACE/]NAME [FIELD.PATH] (got %d arguments)", c.NArg())
	}
	format := c.String("format")
	if format != "text" && format != "json" {
		return fmt.Errorf("--format %s: want text or json", format)
	}
	target, err := compose.ParseTarget(c.Args().Get(0))
	if err != nil {
		return err
	}
	path, err := compose.ParseFieldPath(c.Args().Get(1))
	if err != nil {
		return err
	}
	g := readGlobals(c)
	p, err := loadProject(g, c.App.ErrWriter)
	if err != nil {
		return err
	}
	env := c.String("env")
	if env == "" {
		if len(p.k.Environments) != 1 {
			return errors.New("explain needs an environment: --env E")
		}
		env = p.k.Environments[0].Name
	}
	// Pins that explain resolves are used, not written (as validate does).
	x, err := compose.Explain(c.Context, p.options([]string{env}), target, path)
	if err != nil {
		return err
	}
	if g.quiet {
		return nil // the field exists: that is the answer
	}
	x.Mask(plan.MaskAt) // secrets never reach the output, as in a plan
	if format == "json" {
		return x.WriteJSON(c.App.Writer)
	}
	return x.WriteText(c.App.Writer)
}
