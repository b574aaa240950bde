package cli

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/orkdev/ork/pkg/plan"
)

// envPlaceholder is what $ENV becomes in both environments under
// --ignore-env-values: any one string serves, as long as both sides get it.
const envPlaceholder = "ork-env"

func diffCommand() *cli.Command {
	return &cli.Command{
		Name:      "diff",
		Usage:     "compare two environments' Katalogs, manifest by manifest and field by field",
		ArgsUsage: "A B",
		Flags: withGlobals(
			formatFlag(),
			exitCodeFlag("exit 2 when the environments differ, 0 when they do not"),
			&cli.BoolFlag{Name: "ignore-env-values", EnvVars: []string{"ORK_IGNORE_ENV_VALUES"}, Usage: "ignore the differences that $ENV and ${env.name} make"},
			&cli.StringFlag{Name: "ephemeral-from", EnvVars: []string{"ORK_EPHEMERAL_FROM"}, Usage: "B is an ephemeral environment made from this one"},
		),
		Action: runDiff,
	}
}

func runDiff(c *cli.Context) error {
	if c.NArg() != 2 {
		return fmt.Errorf("diff compares two environments: ork diff A B (got %d arguments)", c.NArg())
	}
	format, g, p, err := planSetup(c)
	if err != nil {
		return err
	}
	envValue := ""
	if c.Bool("ignore-env-values") {
		envValue = envPlaceholder
	}
	from, err := p.buildOne(c, c.Args().Get(0), "", envValue)
	if err != nil {
		return err
	}
	to, err := p.buildOne(c, c.Args().Get(1), c.String("ephemeral-from"), envValue)
	if err != nil {
		return err
	}
	d, err := plan.Diff(from, to)
	if err != nil {
		return err
	}
	return report(c, d, format, g)
}
