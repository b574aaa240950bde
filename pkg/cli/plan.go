package cli

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/orkdev/ork/pkg/bundle"
	"github.com/orkdev/ork/pkg/compose"
	"github.com/orkdev/ork/pkg/plan"
)

func planCommand() *cli.Command {
	return &cli.Command{
		Name:      "plan",
		Usage:     "show what would change if the environment's new bundle were applied",
		ArgsUsage: " ",
		Description: `Builds the environment's bundle in memory (writing nothing) and compares it
with REF: a bundle file (default: bundles/<env>.yaml next to the Komposer),
git:<rev> (that file as committed at a revision), or cluster (the live
ConfigMap and CRDs, read with kubectl through your kubeconfig and context).`,
		Flags: withGlobals(
			&cli.StringFlag{Name: "env", EnvVars: []string{"ORK_ENV"}, Usage: "the environment to plan (required unless the Komposer has one)"},
			&cli.StringFlag{Name: "against", EnvVars: []string{"ORK_AGAINST"}, Usage: "REF: a bundle file, git:<rev> or cluster (default: bundles/<env>.yaml next to the Komposer)"},
			formatFlag(),
			&cli.StringFlag{Name: "kubectl", EnvVars: []string{"ORK_KUBECTL"}, Value: "kubectl", Usage: "the kubectl command that --against cluster runs"},
			exitCodeFlag("exit 2 when there are changes, 0 when there are none"),
			ephemeralFlag(),
		),
		Action: runPlan,
	}
}

func runPlan(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("plan takes no arguments, got %q", c.Args().Slice())
	}
	format, g, p, err := planSetup(c)
	if err != nil {
		return err
	}
	env := c.String("env")
	if env == "" {
		if len(p.k.Environments) != 1 {
			return fmt.Errorf("plan needs an environment: --env E; %s has %s", p.k.Display, strings.Join(p.k.EnvironmentNames(), ", "))
		}
		env = p.k.Environments[0].Name
	}
	// Pins that plan resolves are used, not written (as validate does).
	planned, err := p.buildOne(c, env, c.String("ephemeral-from"), "")
	if err != nil {
		return err
	}

	against := c.String("against")
	path := filepath.Join(p.k.Dir, "bundles", env+".yaml")
	var ref *plan.Reference
	switch {
	case against == "cluster":
		ref, err = plan.ReadCluster(c.Context, plan.ClusterOptions{Name: planned.Name, Namespace: planned.Namespace, Kubectl: c.String("kubectl")})
	case strings.HasPrefix(against, "git:"):
		ref, err = plan.ReadGit(c.Context, path, relTo(p.workDir, path), strings.TrimPrefix(against, "git:"))
	default:
		if against != "" {
			path = against
		}
		ref, err = plan.ReadFile(path, relTo(p.workDir, path))
	}
	if err != nil {
		return err
	}
	pl, err := plan.Compare(ref, planned)
	if err != nil {
		return err
	}
	if lockData, err := p.lock.Encode(); err == nil && !bytes.Equal(lockData, p.lockBefore) && (len(p.lock.Environments) > 0 || p.lockBefore != nil) {
		pl.Notes = append(pl.Notes, fmt.Sprintf("%s lacks pins this plan resolved; `ork generate bundle` or `ork lock` records them", relTo(p.workDir, p.lockPath)))
	}

	return report(c, pl, format, g)
}

// report writes a plan (or a diff) unless -q, and with --exit-code ends
// with exit 2 when it holds changes.
func report(c *cli.Context, pl *plan.Plan, format string, g globals) error {
	if !g.quiet {
		if err := writePlan(c, pl, format, g); err != nil {
			return err
		}
	}
	if c.Bool("exit-code") && pl.HasChanges() {
		return &exitError{code: ExitChanges, err: errSilent}
	}
	return nil
}

// buildOne builds one environment's bundle in memory, writing nothing: an
// ephemeral one when from is set, with envValue for $ENV when set.
func (p *project) buildOne(c *cli.Context, env, from, envValue string) (*bundle.Bundle, error) {
	opts := p.options([]string{env})
	opts.EnvValue = envValue
	if from != "" {
		opts.Ephemeral = &compose.Ephemeral{Name: env, From: from}
	}
	built, err := compose.Bundles(c.Context, opts)
	if err != nil {
		return nil, err
	}
	b, err := bundle.Load(built[0].Data)
	if err != nil {
		return nil, fmt.Errorf("environment %s: the built bundle: %w", env, err)
	}
	return b, nil
}

func formatFlag() cli.Flag {
	return &cli.StringFlag{Name: "format", EnvVars: []string{"ORK_FORMAT"}, Value: "text", Usage: "text, markdown (a pull-request comment) or json (format_version 1)"}
}

func exitCodeFlag(usage string) cli.Flag {
	return &cli.BoolFlag{Name: "exit-code", EnvVars: []string{"ORK_EXIT_CODE"}, Usage: usage}
}

// errSilent ends a command with its exit code and no message.
var errSilent = errors.New("")

// planSetup is what plan, diff and promote start with: --format checked,
// the global options, the project.
func planSetup(c *cli.Context) (string, globals, *project, error) {
	format, err := planFormat(c)
	if err != nil {
		return "", globals{}, nil, err
	}
	g := readGlobals(c)
	p, err := loadProject(g, c.App.ErrWriter)
	return format, g, p, err
}

// planFormat reads and checks --format.
func planFormat(c *cli.Context) (string, error) {
	format := c.String("format")
	if format != "text" && format != "markdown" && format != "json" {
		return "", fmt.Errorf("--format %s: want text, markdown or json", format)
	}
	return format, nil
}

// writePlan writes a plan (or a diff) in the format asked for; colour only
// on a terminal and never with --no-color or NO_COLOR.
func writePlan(c *cli.Context, pl *plan.Plan, format string, g globals) error {
	w := c.App.Writer
	switch format {
	case "markdown":
		return pl.WriteMarkdown(w)
	case "json":
		return pl.WriteJSON(w)
	}
	return pl.WriteText(w, plan.TextOptions{Color: !g.noColor && isTerminal(w)})
}
