// Command ork-runtime loads one ork bundle at start and holds a cluster to
// it until it is restarted. It is a separate binary from ork so that the
// CLI does not carry the Kubernetes client libraries.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/orkdev/ork/pkg/runtime"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}

// run parses the flags, runs the runtime and returns the exit code: 0 after
// a graceful stop, 1 on an error, 2 on bad flags, 3 for a tampered bundle.
func run(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("ork-runtime", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := runtime.Options{}
	fs.StringVar(&o.Bundle, "bundle", "", "the bundle `FILE` to hold the cluster to")
	fs.StringVar(&o.ConfigMap, "configmap", "", "read the bundle from its ConfigMap `NAMESPACE/NAME`, once, at start")
	fs.StringVar(&o.Kubeconfig, "kubeconfig", "", "kubeconfig `FILE` (default $KUBECONFIG, ~/.kube/config, or in-cluster)")
	fs.BoolVar(&o.Prune, "prune", true, "delete what an earlier bundle applied and this one no longer holds")
	fs.StringVar(&o.ApplySet, "applyset", "", "`NAME` of the ApplySet parent ConfigMap, in the bundle's namespace (default <bundle>-applyset)")
	fs.StringVar(&o.Addr, "addr", ":8080", "listen `ADDRESS` for /healthz, /readyz and /metrics")
	fs.BoolVar(&o.LeaderElect, "leader-elect", true, "hold a Lease so that one replica reconciles")
	fs.StringVar(&o.LeaseName, "lease-name", "ork-runtime", "the Lease's `NAME`")
	fs.StringVar(&o.LeaseNamespace, "lease-namespace", envOr("POD_NAMESPACE", "default"), "the Lease's `NAMESPACE` (default $POD_NAMESPACE or default)")
	fs.StringVar(&o.Identity, "id", envOr("POD_NAME", ""), "this replica's identity in the Lease (default $POD_NAME or hostname_pid)")
	fs.DurationVar(&o.LeaseDuration, "lease-duration", 15*time.Second, "how long a Lease holds without renewal")
	fs.DurationVar(&o.RenewDeadline, "renew-deadline", 10*time.Second, "how long the leader retries renewing before it gives up")
	fs.DurationVar(&o.RetryPeriod, "retry-period", 2*time.Second, "how often replicas try the Lease")
	fs.DurationVar(&o.CRDTimeout, "crd-timeout", time.Minute, "how long to wait for CRDs to be Established")
	fs.IntVar(&o.Concurrency, "concurrency", 32, "applies in flight at once")
	qps := fs.Float64("kube-qps", 500, "client-side limit of API requests per second")
	fs.IntVar(&o.Burst, "kube-burst", 1000, "client-side burst of API requests")
	format := fs.String("log-format", "text", "log format: text or json")
	level := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ork-runtime takes no arguments, got %q\n", fs.Args())
		return 2
	}
	o.QPS = float32(*qps)
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintf(stderr, "--log-level %q: want debug, info, warn or error\n", *level)
		return 2
	}
	hopts := &slog.HandlerOptions{Level: lvl}
	switch *format {
	case "text":
		o.Log = slog.New(slog.NewTextHandler(stderr, hopts))
	case "json":
		o.Log = slog.New(slog.NewJSONHandler(stderr, hopts))
	default:
		fmt.Fprintf(stderr, "--log-format %q: want text or json\n", *format)
		return 2
	}
	if err := runtime.Run(ctx, o); err != nil {
		o.Log.Error("ork-runtime stopped", "err", err)
		if runtime.IsTampered(err) {
			return 3
		}
		return 1
	}
	return 0
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
