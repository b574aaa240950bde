// Package runtime is ork's runtime: it loads one verified bundle at start
// and holds the cluster to it until it is restarted. It server-side applies
// every manifest of the bundle but Orkestra's Katalog documents, watches
// what it applied and sets back whatever drifts, and prunes what an earlier
// bundle applied and this one no longer holds, by an ApplySet.
//
// The bundle is read once: a changed bundle takes effect at the next start
// ("reconciliation is continuous, configuration is deliberate").
package runtime

import (
	"context"
	"errors"
	"fmt"
	"github.com/orkdev/ork/pkg/runtime/inventory"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	coordinationv1 "k8s.io/client-go/kubernetes/typed/coordination/v1"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
)

// Options configure one run.
type Options struct {
	Bundle         string // a bundle file, or
	ConfigMap      string // NAMESPACE/NAME of the bundle's ConfigMap, read once from the API
	Kubeconfig     string // "" = KUBECONFIG, ~/.kube/config, or in-cluster
	Prune          bool
	ApplySet       string // name of the ApplySet parent ConfigMap, in the bundle's namespace
	Addr           string // /healthz, /readyz, /metrics
	LeaderElect    bool
	LeaseName      string
	LeaseNamespace string
	Identity       string
	LeaseDuration  time.Duration
	RenewDeadline  time.Duration
	RetryPeriod    time.Duration
	CRDTimeout     time.Duration
	Concurrency    int
	QPS            float32
	Burst          int
	Log            *slog.Logger
}

// ErrLostLease is returned when another replica took the lease while this
// one was reconciling: the process should exit and be restarted.
var ErrLostLease = errors.New("lost the leader lease")

// Run loads and verifies the bundle, then, as the leader, applies it and
// holds the cluster to it until ctx is done. A bundle that cannot be read
// or is tampered with is an error before anything is applied.
func Run(ctx context.Context, o Options) error {
	start := time.Now()
	log := o.Log
	klog.SetSlogLogger(log.With("component", "client-go"))
	if (o.Bundle == "") == (o.ConfigMap == "") {
		return errors.New("give exactly one of --bundle FILE and --configmap NAMESPACE/NAME")
	}
	var loaded *Loaded
	var err error
	if o.Bundle != "" { // checked before anything else: no cluster needed to refuse it
		if loaded, err = LoadFile(o.Bundle); err != nil {
			return err
		}
	}
	cfg, err := restConfig(o, log)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	if loaded == nil {
		if loaded, err = LoadConfigMap(ctx, dyn, o.ConfigMap); err != nil {
			return err
		}
	}
	b := loaded.Bundle
	log.Info("bundle loaded", "source", loaded.Source, "environment", b.Environment, "digest", b.Digest,
		"objects", len(loaded.Objects), "skipped_katalogs", loaded.Skipped)
	for _, p := range loaded.Lock.Sources {
		log.Info("pin", "name", p.Name, "type", p.Type, "location", p.Location, "ref", p.Ref, "id", p.ID)
	}

	m := newMetrics()
	m.info.WithLabelValues(b.Digest, b.Environment).Set(1)
	var ready atomic.Bool
	var leading atomic.Bool
	srv, err := serve(o.Addr, m, &ready, &leading, log)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	core, err := typedcorev1.NewForConfig(cfg)
	if err != nil {
		return err
	}
	broadcaster := record.NewBroadcaster()
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: core.Events("")})
	defer broadcaster.Shutdown()
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		return err
	}
	recorder := broadcaster.NewRecorder(scheme, corev1.EventSource{Component: FieldManager})

	parentName := o.ApplySet
	if parentName == "" {
		parentName = b.Name + "-applyset"
	}
	parent := inventory.Key{Kind: "ConfigMap", Namespace: b.Namespace, Name: parentName}
	ref := &corev1.ObjectReference{APIVersion: "v1", Kind: "ConfigMap", Namespace: parent.Namespace, Name: parent.Name}
	if loaded.FromAPI {
		ref.Name = b.Name // events go on the bundle's own ConfigMap
	}
	ev := recorderEventer{recorder, ref}

	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))
	r := newReconciler(dyn, mapper, log, m, ev, loaded, parent)
	r.prune, r.concurrency, r.crdTimeout = o.Prune, o.Concurrency, o.CRDTimeout
	r.onReady = func() {
		ready.Store(true)
		m.ready.Set(1)
		m.readyAfter.Set(time.Since(start).Seconds())
		log.Info("ready", "after", time.Since(start).Round(time.Millisecond).String())
	}
	reconcile := func(ctx context.Context) error {
		leading.Store(true)
		m.leader.Set(1)
		defer func() { leading.Store(false); ready.Store(false); m.leader.Set(0); m.ready.Set(0) }()
		return r.run(ctx)
	}
	if !o.LeaderElect {
		err = reconcile(ctx)
	} else {
		err = lead(ctx, o, cfg, log, reconcile)
	}
	if err != nil {
		return err
	}
	log.Info("stopped", "reason", context.Cause(ctx))
	return nil
}

// lead runs reconcile while this replica holds the Lease.
func lead(ctx context.Context, o Options, cfg *rest.Config, log *slog.Logger, reconcile func(context.Context) error) error {
	coord, err := coordinationv1.NewForConfig(cfg)
	if err != nil {
		return err
	}
	id := o.Identity
	if id == "" {
		host, _ := os.Hostname()
		id = fmt.Sprintf("%s_%d", host, os.Getpid())
	}
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Name: o.LeaseName, Namespace: o.LeaseNamespace},
		Client:     coord,
		LockConfig: resourcelock.ResourceLockConfig{Identity: id},
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	started := make(chan struct{})
	done := make(chan error, 1)
	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   o.LeaseDuration,
		RenewDeadline:   o.RenewDeadline,
		RetryPeriod:     o.RetryPeriod,
		ReleaseOnCancel: true,
		Name:            o.LeaseName,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(ctx context.Context) {
				close(started)
				log.Info("leading", "lease", o.LeaseNamespace+"/"+o.LeaseName, "identity", id)
				err := reconcile(ctx)
				if err != nil {
					cancel() // give up the lease: this replica cannot go on
				}
				done <- err
			},
			OnStoppedLeading: func() { log.Info("not leading", "identity", id) },
			OnNewLeader: func(leader string) {
				if leader != id {
					log.Info("standing by", "leader", leader, "identity", id)
				}
			},
		},
	})
	if err != nil {
		return err
	}
	le.Run(runCtx) // returns when the lease is lost or runCtx is done
	select {
	case <-started:
		if err := <-done; err != nil {
			return err
		}
	default:
	}
	if ctx.Err() == nil {
		return ErrLostLease
	}
	return nil
}

type recorderEventer struct {
	rec record.EventRecorder
	ref *corev1.ObjectReference
}

func (e recorderEventer) Event(eventType, reason, message string) {
	e.rec.Event(e.ref, eventType, reason, message)
}

// restConfig finds the cluster: --kubeconfig, else KUBECONFIG or
// ~/.kube/config, else the in-cluster service account.
func restConfig(o Options, log *slog.Logger) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = o.Kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubernetes client configuration: %w", err)
	}
	cfg.QPS, cfg.Burst = o.QPS, o.Burst
	cfg.UserAgent = FieldManager
	cfg.WarningHandler = warningLogger{log}
	return cfg, nil
}

type warningLogger struct{ log *slog.Logger }

func (w warningLogger) HandleWarningHeader(code int, agent, text string) {
	if code == 299 && text != "" {
		w.log.Warn("API server warning", "warning", text)
	}
}

// serve starts the health, readiness and metrics endpoints.
func serve(addr string, m *metrics, ready, leading *atomic.Bool, log *slog.Logger) (*http.Server, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		switch {
		case ready.Load():
			fmt.Fprintln(w, "ready")
		case leading.Load():
			http.Error(w, "applying the bundle", http.StatusServiceUnavailable)
		default:
			http.Error(w, "standing by: another replica holds the lease", http.StatusServiceUnavailable)
		}
	})
	mux.Handle("/metrics", m.handler())
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--addr %s: %w", addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	log.Info("serving", "addr", ln.Addr().String(), "paths", strings.Join([]string{"/healthz", "/readyz", "/metrics"}, ","))
	return srv, nil
}
