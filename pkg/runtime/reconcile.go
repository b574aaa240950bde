package runtime

import (
	"context"
	"errors"
	"fmt"
	"github.com/orkdev/ork/pkg/runtime/inventory"
	"log/slog"
	"reflect"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// FieldManager is the server-side apply field manager of every write the
// runtime makes.
const FieldManager = "ork-runtime"

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// eventer reports to the Kubernetes object that stands for the live bundle.
type eventer interface {
	Event(eventType, reason, message string)
}

// reconciler applies one loaded bundle and holds the cluster to it.
type reconciler struct {
	dyn         dynamic.Interface
	mapper      meta.ResettableRESTMapper
	log         *slog.Logger
	m           *metrics
	ev          eventer
	loaded      *Loaded
	prune       bool
	concurrency int
	crdTimeout  time.Duration
	parent      inventory.Key // the ApplySet parent, a ConfigMap
	setID       string
	objects     map[inventory.Key]*unstructured.Unstructured
	order       []inventory.Key
	onReady     func()

	mu       sync.Mutex
	applied  map[inventory.Key]string // resourceVersion our last apply returned
	failed   map[inventory.Key]error
	observed map[inventory.Key]string // resourceVersion of a drifted object when seen; "" when deleted
	passDone bool
	isReady  bool
	queue    workqueue.TypedRateLimitingInterface[inventory.Key]
}

func newReconciler(dyn dynamic.Interface, mapper meta.ResettableRESTMapper, log *slog.Logger, m *metrics, ev eventer, l *Loaded, parent inventory.Key) *reconciler {
	r := &reconciler{
		dyn: dyn, mapper: mapper, log: log, m: m, ev: ev, loaded: l, parent: parent,
		setID:    inventory.ApplySetID(parent.Name, parent.Namespace, parent.GroupKind()),
		objects:  map[inventory.Key]*unstructured.Unstructured{},
		applied:  map[inventory.Key]string{},
		failed:   map[inventory.Key]error{},
		observed: map[inventory.Key]string{},
	}
	for _, o := range l.Objects {
		u := o.DeepCopy()
		labels := u.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		labels[inventory.PartOfLabel] = r.setID
		u.SetLabels(labels)
		k := KeyOf(u)
		r.objects[k] = u
		r.order = append(r.order, k)
	}
	inventory.Order(r.order)
	return r
}

// run applies the bundle, prunes, then watches and corrects drift until ctx
// is done. It returns an error only when it cannot go on at all (the
// ApplySet parent cannot be read or written).
func (r *reconciler) run(ctx context.Context) error {
	r.queue = workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.NewTypedItemExponentialFailureRateLimiter[inventory.Key](200*time.Millisecond, 30*time.Second),
		workqueue.TypedRateLimitingQueueConfig[inventory.Key]{Name: "ork-runtime"})
	defer r.queue.ShutDown()

	if err := r.firstPass(ctx); err != nil {
		return err
	}
	factory, err := r.watch(ctx)
	if err != nil {
		return err
	}
	defer factory.Shutdown()

	var wg sync.WaitGroup
	for range max(r.concurrency, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r.processNext(ctx) {
			}
		}()
	}
	<-ctx.Done()
	r.queue.ShutDown()
	wg.Wait()
	return nil
}

// firstPass applies every object wave by wave (Namespaces, the ApplySet
// parent, CRDs and the wait for them, then the rest in dependency order),
// prunes, and records the new inventory.
func (r *reconciler) firstPass(ctx context.Context) error {
	start := time.Now()
	prior, err := r.priorInventory(ctx)
	if err != nil {
		return err
	}
	desired := inventory.InventoryOf(r.order, r.parent.Namespace)
	waves := inventory.Waves(r.order)
	i := 0
	if len(waves) > 0 && inventory.Rank(waves[0][0].GroupKind()) == 0 { // Namespaces
		r.applyWave(ctx, waves[0])
		i = 1
	}
	// Before anything else is applied, the parent lists every kind and
	// namespace of the old and new sets: a crash from here on leaves
	// nothing the next start cannot prune.
	if err := r.writeParent(ctx, prior.Union(desired)); err != nil {
		return err
	}
	var crds []string
	if i < len(waves) && inventory.IsFoundation(waves[i][0].GroupKind()) { // CustomResourceDefinitions
		r.applyWave(ctx, waves[i])
		for _, k := range waves[i] {
			crds = append(crds, k.Name)
		}
		i++
	}
	if r.loaded.FromAPI { // the bundle's CRDs were applied with the ConfigMap
		for _, c := range r.loaded.Lock.CRDs {
			crds = append(crds, c.Name)
		}
	}
	if len(crds) > 0 {
		r.waitEstablished(ctx, crds)
		r.mapper.Reset()
	}
	for ; i < len(waves); i++ {
		r.applyWave(ctx, waves[i])
	}
	if ctx.Err() != nil {
		return nil
	}

	final := prior.Union(desired)
	if r.prune {
		pruned, err := r.pruneOld(ctx, prior.Union(desired))
		if err != nil {
			r.log.Error("prune failed; the ApplySet keeps every kind and namespace it had", "err", err)
			r.ev.Event("Warning", "PruneFailed", err.Error())
		} else {
			final = desired
			if pruned > 0 {
				r.log.Info("pruned", "objects", pruned)
			}
		}
	}
	if err := r.writeParent(ctx, final); err != nil {
		return err
	}

	r.mu.Lock()
	r.passDone = true
	failed := len(r.failed)
	r.mu.Unlock()
	r.log.Info("bundle applied", "digest", r.loaded.Bundle.Digest, "environment", r.loaded.Bundle.Environment,
		"objects", len(r.order)-failed, "failed", failed, "took", time.Since(start).Round(time.Millisecond).String())
	r.ev.Event("Normal", "Applied", fmt.Sprintf("bundle %s (environment %s) is live: %d objects applied, %d failed",
		r.loaded.Bundle.Digest, r.loaded.Bundle.Environment, len(r.order)-failed, failed))
	r.checkReady()
	return nil
}

// applyWave applies the objects of one wave in parallel, at most
// concurrency at a time; failures are recorded and queued for retry.
func (r *reconciler) applyWave(ctx context.Context, keys []inventory.Key) {
	sem := make(chan struct{}, max(r.concurrency, 1))
	var wg sync.WaitGroup
	for _, k := range keys {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			rv, err := r.apply(ctx, k)
			r.result(k, rv, err, "")
		}()
	}
	wg.Wait()
}

// resource returns the client for an object's kind, in its namespace.
func (r *reconciler) resource(gvk schema.GroupVersionKind, namespace string) (dynamic.ResourceInterface, bool, error) {
	mapping, err := r.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, false, fmt.Errorf("the API server does not serve %s: %w", gvk, err)
	}
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		if namespace == "" {
			return nil, true, fmt.Errorf("%s is namespaced and the manifest has no metadata.namespace", gvk.Kind)
		}
		return r.dyn.Resource(mapping.Resource).Namespace(namespace), true, nil
	}
	return r.dyn.Resource(mapping.Resource), false, nil
}

// apply server-side applies one object of the bundle, forcing ownership of
// the fields the bundle sets, and returns the resulting resourceVersion.
func (r *reconciler) apply(ctx context.Context, k inventory.Key) (string, error) {
	obj := r.objects[k]
	ri, namespaced, err := r.resource(obj.GroupVersionKind(), k.Namespace)
	if err != nil {
		return "", err
	}
	if !namespaced && k.Namespace != "" {
		return "", fmt.Errorf("%s is cluster-scoped and the manifest has metadata.namespace %q", k.Kind, k.Namespace)
	}
	res, err := ri.Apply(ctx, k.Name, obj, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
	if err != nil {
		return "", err
	}
	return res.GetResourceVersion(), nil
}

// result records the outcome of an apply. drift is the resourceVersion of
// the drifted object ("" if deleted) when the apply corrected drift.
func (r *reconciler) result(k inventory.Key, rv string, err error, drift string) {
	kind := k.GroupKind().String()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return
		}
		r.m.errors.WithLabelValues(kind).Inc()
		r.log.Error("apply failed", "object", k.String(), "err", err)
		r.ev.Event("Warning", "ApplyFailed", fmt.Sprintf("%s: %v", k, err))
		r.mu.Lock()
		r.failed[k] = err
		r.mu.Unlock()
		if r.queue != nil {
			r.queue.AddRateLimited(k)
		}
		r.updateManaged()
		return
	}
	r.mu.Lock()
	delete(r.failed, k)
	r.applied[k] = rv
	r.mu.Unlock()
	if drift != "-" && (drift == "" || drift != rv) && r.isWatching() {
		r.m.drift.WithLabelValues(kind).Inc()
		r.log.Info("drift corrected", "object", k.String(), "recreated", drift == "")
		r.ev.Event("Normal", "DriftCorrected", k.String())
	}
	r.updateManaged()
	r.checkReady()
}

func (r *reconciler) isWatching() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.passDone
}

func (r *reconciler) updateManaged() {
	r.mu.Lock()
	n := len(r.applied)
	for k := range r.failed {
		if _, ok := r.applied[k]; ok {
			n--
		}
	}
	r.mu.Unlock()
	r.m.managed.Set(float64(n))
}

// checkReady marks the runtime ready once the first pass is done and every
// object has been applied.
func (r *reconciler) checkReady() {
	r.mu.Lock()
	ready := r.passDone && len(r.failed) == 0 && !r.isReady
	if ready {
		r.isReady = true
	}
	r.mu.Unlock()
	if ready && r.onReady != nil {
		r.onReady()
	}
}

// waitEstablished waits, at most crdTimeout, until each named CRD reports
// the Established condition; one that does not is logged, and its custom
// resources then fail to apply and are retried.
func (r *reconciler) waitEstablished(ctx context.Context, names []string) {
	ctx, cancel := context.WithTimeout(ctx, r.crdTimeout)
	defer cancel()
	for _, name := range names {
		for {
			u, err := r.dyn.Resource(crdGVR).Get(ctx, name, metav1.GetOptions{})
			if err == nil && established(u) {
				break
			}
			select {
			case <-ctx.Done():
				r.log.Error("CRD not established in time", "crd", name, "timeout", r.crdTimeout.String(), "err", err)
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	r.log.Info("CRDs established", "crds", len(names))
}

func established(u *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}

// priorInventory reads the ApplySet parent, if there is one: what an
// earlier bundle applied.
func (r *reconciler) priorInventory(ctx context.Context) (inventory.Inventory, error) {
	empty := inventory.Inventory{GroupKinds: map[schema.GroupKind]bool{}, Namespaces: map[string]bool{}}
	u, err := r.dyn.Resource(configMapGVR).Namespace(r.parent.Namespace).Get(ctx, r.parent.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return empty, nil
	}
	if err != nil {
		return empty, fmt.Errorf("applyset parent %s: %w", r.parent, err)
	}
	if id := u.GetLabels()[inventory.IDLabel]; id != r.setID {
		return empty, fmt.Errorf("applyset parent %s: label %s is %q, want %q: it is not this runtime's ApplySet", r.parent, inventory.IDLabel, id, r.setID)
	}
	if t := u.GetAnnotations()[inventory.ToolingAnnotation]; t != "" && t != inventory.Tooling {
		return empty, fmt.Errorf("applyset parent %s: managed by %q, not %s", r.parent, t, inventory.Tooling)
	}
	inv, err := inventory.ParseInventory(u.GetAnnotations())
	if err != nil {
		return empty, fmt.Errorf("applyset parent %s: %w", r.parent, err)
	}
	return inv, nil
}

// writeParent applies the ApplySet parent with the given inventory and the
// live bundle's digest and environment.
func (r *reconciler) writeParent(ctx context.Context, inv inventory.Inventory) error {
	ann := inv.Annotations()
	ann[inventory.DigestAnnotation] = r.loaded.Bundle.Digest
	ann[inventory.EnvironmentAnnotation] = r.loaded.Bundle.Environment
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("v1")
	u.SetKind("ConfigMap")
	u.SetName(r.parent.Name)
	u.SetNamespace(r.parent.Namespace)
	u.SetLabels(map[string]string{inventory.IDLabel: r.setID, "app.kubernetes.io/managed-by": FieldManager})
	u.SetAnnotations(ann)
	_, err := r.dyn.Resource(configMapGVR).Namespace(r.parent.Namespace).Apply(ctx, r.parent.Name, u,
		metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
	if err != nil {
		return fmt.Errorf("applyset parent %s: %w", r.parent, err)
	}
	return nil
}

// pruneOld deletes the members of the set, by the inventory, that the
// bundle no longer holds. Only objects labelled part of this set are
// listed, so nothing the runtime did not apply is touched.
func (r *reconciler) pruneOld(ctx context.Context, inv inventory.Inventory) (int, error) {
	desired := make(map[inventory.Key]bool, len(r.order))
	for _, k := range r.order {
		desired[k] = true
	}
	namespaces := []string{r.parent.Namespace}
	for ns := range inv.Namespaces {
		if ns != r.parent.Namespace {
			namespaces = append(namespaces, ns)
		}
	}
	selector := inventory.PartOfLabel + "=" + r.setID
	var live []inventory.Key
	clients := map[inventory.Key]dynamic.ResourceInterface{}
	for _, gk := range inv.SortedGroupKinds() {
		mapping, err := r.mapper.RESTMapping(gk)
		if meta.IsNoMatchError(err) {
			continue // the kind is gone, and its objects with it
		}
		if err != nil {
			return 0, fmt.Errorf("prune %s: %w", gk, err)
		}
		var ris []dynamic.ResourceInterface
		if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
			for _, ns := range namespaces {
				ris = append(ris, r.dyn.Resource(mapping.Resource).Namespace(ns))
			}
		} else {
			ris = append(ris, r.dyn.Resource(mapping.Resource))
		}
		for _, ri := range ris {
			list, err := ri.List(ctx, metav1.ListOptions{LabelSelector: selector})
			if err != nil {
				return 0, fmt.Errorf("prune %s: %w", gk, err)
			}
			for i := range list.Items {
				item := &list.Items[i]
				if item.GetLabels()[inventory.PartOfLabel] != r.setID || item.GetDeletionTimestamp() != nil {
					continue
				}
				k := inventory.Key{Group: gk.Group, Kind: gk.Kind, Namespace: item.GetNamespace(), Name: item.GetName()}
				live = append(live, k)
				clients[k] = ri
			}
		}
	}
	n := 0
	policy := metav1.DeletePropagationBackground
	prune, kept := inventory.Prunable(desired, live)
	for _, k := range kept {
		r.log.Warn("left in place", "object", k.String(), "why", "the bundle no longer holds it, but deleting a Namespace or CRD deletes what it holds, which ork-runtime may not have applied; delete it by hand once nothing uses it")
		r.ev.Event("Warning", "NotPruned", k.String()+" is no longer in the bundle; a Namespace or CRD is never pruned")
	}
	for _, k := range prune {
		err := clients[k].Delete(ctx, k.Name, metav1.DeleteOptions{PropagationPolicy: &policy})
		if err != nil && !apierrors.IsNotFound(err) {
			return n, fmt.Errorf("prune %s: %w", k, err)
		}
		n++
		r.m.pruned.WithLabelValues(k.GroupKind().String()).Inc()
		r.log.Info("pruned", "object", k.String())
		r.ev.Event("Normal", "Pruned", k.String())
	}
	return n, nil
}

// watch starts one informer per kind of the bundle, on the objects
// labelled part of this set, and queues any that drift.
func (r *reconciler) watch(ctx context.Context) (dynamicinformer.DynamicSharedInformerFactory, error) {
	factory := dynamicinformer.NewFilteredDynamicSharedInformerFactory(r.dyn, 0, metav1.NamespaceAll,
		func(o *metav1.ListOptions) { o.LabelSelector = inventory.PartOfLabel + "=" + r.setID })
	type watched struct {
		gk       schema.GroupKind
		informer cache.SharedIndexInformer
	}
	var informers []watched
	seen := map[schema.GroupKind]bool{}
	for _, k := range r.order {
		gk := k.GroupKind()
		if seen[gk] {
			continue
		}
		seen[gk] = true
		mapping, err := r.mapper.RESTMapping(gk, r.objects[k].GroupVersionKind().Version)
		if err != nil {
			r.log.Error("cannot watch", "kind", gk.String(), "err", err)
			continue
		}
		inf := factory.ForResource(mapping.Resource).Informer()
		if err := inf.SetTransform(stripManagedFields); err != nil {
			return nil, err
		}
		_, err = inf.AddEventHandler(cache.ResourceEventHandlerDetailedFuncs{
			AddFunc: func(obj any, initial bool) {
				if !initial {
					r.saw(obj, false)
				}
			},
			UpdateFunc: func(old, obj any) {
				if changed(old, obj) {
					r.saw(obj, false)
				}
			},
			DeleteFunc: func(obj any) {
				if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
					obj = d.Obj
				}
				r.saw(obj, true)
			},
		})
		if err != nil {
			return nil, err
		}
		informers = append(informers, watched{gk, inf})
	}
	factory.Start(ctx.Done())
	syncCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for _, w := range informers {
		if !cache.WaitForCacheSync(syncCtx.Done(), w.informer.HasSynced) {
			if ctx.Err() != nil {
				return factory, nil
			}
			return factory, fmt.Errorf("watch %s: the informer did not sync in 2m", w.gk)
		}
	}
	// What was deleted between its apply and the first list is drift too.
	stores := map[schema.GroupKind]cache.Store{}
	for _, w := range informers {
		stores[w.gk] = w.informer.GetStore()
	}
	for _, k := range r.order {
		store, ok := stores[k.GroupKind()]
		if !ok {
			continue
		}
		key := k.Name
		if k.Namespace != "" {
			key = k.Namespace + "/" + k.Name
		}
		if _, exists, _ := store.GetByKey(key); !exists {
			r.enqueueDrift(k, "")
		}
	}
	r.log.Info("watching", "kinds", len(informers), "objects", len(r.order))
	return factory, nil
}

// saw handles an informer event for an object of the set.
func (r *reconciler) saw(obj any, deleted bool) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return
	}
	k := KeyOf(u)
	if _, ok := r.objects[k]; !ok {
		return
	}
	rv := u.GetResourceVersion()
	if deleted {
		rv = ""
	} else {
		r.mu.Lock()
		own := r.applied[k] == rv
		r.mu.Unlock()
		if own {
			return // our own write
		}
	}
	r.enqueueDrift(k, rv)
}

func (r *reconciler) enqueueDrift(k inventory.Key, rv string) {
	r.mu.Lock()
	if prev, ok := r.observed[k]; !ok || prev != "" {
		r.observed[k] = rv
	}
	r.mu.Unlock()
	r.queue.Add(k)
}

// processNext applies one queued object: drift to correct or a failed
// apply to retry.
func (r *reconciler) processNext(ctx context.Context) bool {
	k, shutdown := r.queue.Get()
	if shutdown {
		return false
	}
	defer r.queue.Done(k)
	r.mu.Lock()
	drift, isDrift := r.observed[k]
	delete(r.observed, k)
	r.mu.Unlock()
	if !isDrift {
		drift = "-"
	}
	rv, err := r.apply(ctx, k)
	if err == nil {
		r.queue.Forget(k)
	}
	r.result(k, rv, err, drift)
	return true
}

// changed reports whether an update touched more than status and
// bookkeeping: only then can it be drift.
func changed(oldObj, newObj any) bool {
	a, ok1 := oldObj.(*unstructured.Unstructured)
	b, ok2 := newObj.(*unstructured.Unstructured)
	if !ok1 || !ok2 {
		return true
	}
	if a.GetResourceVersion() == b.GetResourceVersion() {
		return false
	}
	return !reflect.DeepEqual(comparable(a), comparable(b))
}

func comparable(u *unstructured.Unstructured) map[string]any {
	out := make(map[string]any, len(u.Object))
	for k, v := range u.Object {
		if k != "status" {
			out[k] = v
		}
	}
	if md, ok := u.Object["metadata"].(map[string]any); ok {
		m := make(map[string]any, len(md))
		for k, v := range md {
			switch k {
			case "resourceVersion", "managedFields", "generation":
			default:
				m[k] = v
			}
		}
		out["metadata"] = m
	}
	return out
}

// stripManagedFields keeps informer caches small: the runtime never reads
// managedFields.
func stripManagedFields(obj any) (any, error) {
	if u, ok := obj.(*unstructured.Unstructured); ok {
		u.SetManagedFields(nil)
	}
	return obj, nil
}
