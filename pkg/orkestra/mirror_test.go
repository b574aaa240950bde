package orkestra_test

// Go types mirroring the part of Orkestra's Katalog types that ork's schema
// models field by field (github.com/orkspace/orkestra, pkg/types at
// eacb2604bc775f58156f6f49907c4e5d494ebf30, types_operatorbox.go at
// 21ac679360ed01f8482207bdf0bd147bf5b8f8a4, types_hook_templates.go at
// c19d20874c0831e836df46614d81e6479a4be9ab): the same YAML keys and Go
// kinds, decoded as Orkestra decodes (yaml.v3, KnownFields). Blocks the
// schema leaves open are `any` or maps here too; Orkestra checks them at
// start. The module is not served by the Go module proxy, so its own types
// cannot be imported.

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

type katalogFile struct {
	APIVersion   string          `yaml:"apiVersion"`
	Kind         string          `yaml:"kind"`
	Metadata     katalogMeta     `yaml:"metadata"`
	Lifecycle    map[string]any  `yaml:"lifecycle,omitempty"`
	Policy       map[string]any  `yaml:"policy,omitempty"`
	Imports      *map[string]any `yaml:"imports,omitempty"`
	Spec         katalogSpec     `yaml:"spec"`
	Security     map[string]any  `yaml:"security"`
	CrossAccess  *bool           `yaml:"crossAccess,omitempty"`
	Gateway      map[string]any  `yaml:"gateway,omitempty"`
	Publish      map[string]any  `yaml:"publish,omitempty"`
	Notification map[string]any  `yaml:"notification,omitempty"`
	Notes        map[string]any  `yaml:"notes,omitempty"`
	Profiles     map[string]any  `yaml:"profiles,omitempty"`
	Providers    []any           `yaml:"providers,omitempty"`
}

type katalogMeta struct {
	Name        string         `yaml:"name"`
	Namespace   string         `yaml:"namespace,omitempty"`
	ClusterName string         `yaml:"clusterName,omitempty"`
	Description string         `yaml:"description,omitempty"`
	Version     string         `yaml:"version,omitempty"`
	Author      string         `yaml:"author,omitempty"`
	License     string         `yaml:"license,omitempty"`
	Tags        []string       `yaml:"tags,omitempty"`
	CreatedBy   string         `yaml:"createdBy,omitempty"`
	Projects    map[string]any `yaml:"projects,omitempty"`
}

type katalogSpec struct {
	Imports    []any               `yaml:"imports,omitempty"`
	Finalizers []string            `yaml:"finalizers,omitempty"`
	CRDs       map[string]crdEntry `yaml:"crds"`
}

type crdEntry struct {
	KatalogName              string            `yaml:"katalogName,omitempty"`
	KatalogNamespace         string            `yaml:"katalogNamespace,omitempty"`
	KatalogDescription       string            `yaml:"katalogDescription,omitempty"`
	KatalogVersion           string            `yaml:"katalogVersion,omitempty"`
	CrossAccess              *bool             `yaml:"crossAccess,omitempty"`
	Enabled                  *bool             `yaml:"enabled,omitempty"`
	Description              string            `yaml:"description,omitempty"`
	Mode                     string            `yaml:"mode,omitempty"`
	APITypes                 apiTypes          `yaml:"apiTypes"`
	CRDFile                  string            `yaml:"crdFile,omitempty"`
	CRFiles                  []string          `yaml:"crFiles,omitempty"`
	Setup                    any               `yaml:"setup,omitempty"`
	Namespaced               *bool             `yaml:"namespaced,omitempty"`
	Namespace                string            `yaml:"namespace,omitempty"`
	WorkersActive            int               `yaml:"workersActive,omitempty"`
	DependsOn                dependsOnMap      `yaml:"dependsOn,omitempty"`
	EnrichAll                bool              `yaml:"enrichAll,omitempty"`
	Enrich                   []any             `yaml:"enrich,omitempty"`
	OperatorBox              operatorBox       `yaml:"operatorBox,omitempty"`
	Labels                   map[string]string `yaml:"labels,omitempty"`
	LabelSelector            map[string]string `yaml:"labelSelector,omitempty"`
	FieldSelector            map[string]string `yaml:"fieldSelector,omitempty"`
	IgnoreStatusPatch        bool              `yaml:"ignoreStatusPatch,omitempty"`
	IgnoreObservedGeneration bool              `yaml:"ignoreObservedGeneration,omitempty"`
	Endpoints                struct {
		Enabled *bool `yaml:"enabled,omitempty"`
		Health  *bool `yaml:"health,omitempty"`
		Info    *bool `yaml:"info,omitempty"`
	} `yaml:"endpoints,omitempty"`
	RestrictedNamespaces any            `yaml:"restrictedNamespaces,omitempty"`
	AllowedNamespaces    any            `yaml:"allowedNamespaces,omitempty"`
	Conversion           map[string]any `yaml:"conversion,omitempty"`
	Validation           map[string]any `yaml:"validation,omitempty"`
	Mutation             map[string]any `yaml:"mutation,omitempty"`
	Webhooks             map[string]any `yaml:"webhooks,omitempty"`
	Normalize            map[string]any `yaml:"normalize,omitempty"`
	RemoveFinalizers     bool           `yaml:"removeFinalizers,omitempty"`
	DeletionProtection   map[string]any `yaml:"deletionProtection,omitempty"`
	Imports              []any          `yaml:"imports,omitempty"`
	Serve                map[string]any `yaml:"serve,omitempty"`
	ForceConflict        *bool          `yaml:"forceConflict,omitempty"`
}

type apiTypes struct {
	Object   string `yaml:"object,omitempty"`
	List     string `yaml:"objectList,omitempty"`
	Alias    string `yaml:"alias,omitempty"`
	Group    string `yaml:"group"`
	Version  string `yaml:"version"`
	Kind     string `yaml:"kind"`
	Plural   string `yaml:"plural"`
	APIPath  string `yaml:"apiPath,omitempty"`
	Location string `yaml:"location,omitempty"`
}

// dependsOnMap accepts what Orkestra's DependsOnMap accepts: a list of
// names, or a map of names to a condition or to {condition: ...}.
type dependsOnMap map[string]string

func (m *dependsOnMap) UnmarshalYAML(n *yaml.Node) error {
	*m = dependsOnMap{}
	switch n.Kind {
	case yaml.SequenceNode:
		for _, item := range n.Content {
			if item.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: dependsOn items must be names", item.Line)
			}
			(*m)[item.Value] = "started"
		}
		return nil
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			v := n.Content[i+1]
			switch v.Kind {
			case yaml.ScalarNode:
				(*m)[n.Content[i].Value] = v.Value
			case yaml.MappingNode:
				var c struct {
					Condition string `yaml:"condition"`
				}
				if err := strictNode(v, &c); err != nil {
					return err
				}
				(*m)[n.Content[i].Value] = c.Condition
			default:
				return fmt.Errorf("line %d: dependsOn value must be a string or map", v.Line)
			}
		}
		return nil
	}
	return fmt.Errorf("line %d: dependsOn must be a list or map", n.Line)
}

// strictNode decodes a node with unknown fields refused, as the outer
// decoder does (a custom UnmarshalYAML does not inherit KnownFields).
func strictNode(n *yaml.Node, out any) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	return strictDecode(b, out)
}

// duration is a Go duration written as a string.
type duration time.Duration

func (d *duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %v", n.Line, err)
	}
	*d = duration(v)
	return nil
}

type operatorBox struct {
	Reconciler      *reconciler                 `yaml:"reconciler,omitempty"`
	PreReconcile    *preReconcile               `yaml:"preReconcile,omitempty"`
	Finalizers      []string                    `yaml:"finalizers,omitempty"`
	OnCreate        *hookTemplates              `yaml:"onCreate,omitempty"`
	OnReconcile     *hookTemplates              `yaml:"onReconcile,omitempty"`
	OnDelete        *hookTemplates              `yaml:"onDelete,omitempty"`
	Status          map[string]any              `yaml:"status,omitempty"`
	Providers       map[string][]map[string]any `yaml:"providers,omitempty"`
	Cross           []any                       `yaml:"cross,omitempty"`
	Observe         map[string]any              `yaml:"observe,omitempty"`
	Autoscale       map[string]any              `yaml:"autoscale,omitempty"`
	Rollback        map[string]any              `yaml:"rollback,omitempty"`
	RollBackOnError bool                        `yaml:"rollBackOnError,omitempty"`
	When            []condition                 `yaml:"when,omitempty"`
	Or              []condition                 `yaml:"or,omitempty"`
}

type reconciler struct {
	Default     *bool        `yaml:"default,omitempty"`
	Hooks       *declaration `yaml:"hooks,omitempty"`
	Constructor *declaration `yaml:"constructor,omitempty"`
	Profile     string       `yaml:"profile,omitempty"`
	Workers     int          `yaml:"workers,omitempty"`
	Resync      duration     `yaml:"resync,omitempty"`
	Queue       queue        `yaml:"queue,omitempty"`
	Requeue     *struct {
		After string      `yaml:"after,omitempty"`
		When  []condition `yaml:"when,omitempty"`
		Or    []condition `yaml:"or,omitempty"`
	} `yaml:"requeue,omitempty"`
	Include string `yaml:"include,omitempty"`
}

// declaration covers HookDeclaration and ConstructorDeclaration (the
// latter lacks runHooksFirst and external, which the schema refuses there).
type declaration struct {
	Location         string         `yaml:"location"`
	Version          string         `yaml:"version,omitempty"`
	Fetch            bool           `yaml:"fetch,omitempty"`
	Function         string         `yaml:"function"`
	Alias            string         `yaml:"alias,omitempty"`
	ManagedResources []any          `yaml:"managedResources,omitempty"`
	RunHooksFirst    bool           `yaml:"runHooksFirst,omitempty"`
	Args             map[string]any `yaml:"args,omitempty"`
	External         []any          `yaml:"external,omitempty"`
}

type queue struct {
	Shared           *bool  `yaml:"shared,omitempty"`
	QType            string `yaml:"type,omitempty"`
	MaxDepth         int    `yaml:"maxDepth,omitempty"`
	FailureThreshold int    `yaml:"failureThreshold,omitempty"`
	Behaviour        *struct {
		OnLimit     map[string]any `yaml:"onLimit,omitempty"`
		OnThreshold map[string]any `yaml:"onThreshold,omitempty"`
	} `yaml:"behaviour,omitempty"`
	RetryBackoff any `yaml:"retryBackoff,omitempty"`
}

type preReconcile struct {
	External      []any    `yaml:"external,omitempty"`
	Sentinels     []string `yaml:"sentinels,omitempty"`
	EnqueueGate   *gate    `yaml:"enqueueGate,omitempty"`
	ReconcileGate *gate    `yaml:"reconcileGate,omitempty"`
}

type gate struct {
	External   []any       `yaml:"external,omitempty"`
	Sentinels  []string    `yaml:"sentinels,omitempty"`
	EventAware bool        `yaml:"eventAware,omitempty"`
	When       []condition `yaml:"when,omitempty"`
	Or         []condition `yaml:"or,omitempty"`
	FailPolicy string      `yaml:"failPolicy,omitempty"`
}

type condition struct {
	Field              string         `yaml:"field"`
	Operator           string         `yaml:"operator,omitempty"`
	Value              string         `yaml:"value,omitempty"`
	Equals             string         `yaml:"equals,omitempty"`
	NotEquals          string         `yaml:"notEquals,omitempty"`
	Contains           string         `yaml:"contains,omitempty"`
	NotContains        string         `yaml:"notContains,omitempty"`
	Regex              string         `yaml:"regex,omitempty"`
	Prefix             string         `yaml:"prefix,omitempty"`
	NotPrefix          string         `yaml:"notPrefix,omitempty"`
	Suffix             string         `yaml:"suffix,omitempty"`
	NotSuffix          string         `yaml:"notSuffix,omitempty"`
	Exists             *bool          `yaml:"exists,omitempty"`
	NotExists          *bool          `yaml:"notExists,omitempty"`
	GreaterThan        string         `yaml:"greaterThan,omitempty"`
	LessThan           string         `yaml:"lessThan,omitempty"`
	GreaterThanOrEqual string         `yaml:"greaterThanOrEqual,omitempty"`
	LessThanOrEqual    string         `yaml:"lessThanOrEqual,omitempty"`
	Min                string         `yaml:"min,omitempty"`
	Max                string         `yaml:"max,omitempty"`
	Between            string         `yaml:"between,omitempty"`
	NotBetween         string         `yaml:"notBetween,omitempty"`
	In                 string         `yaml:"in,omitempty"`
	NotIn              string         `yaml:"notIn,omitempty"`
	Time               map[string]any `yaml:"time,omitempty"`
	DayOfWeek          map[string]any `yaml:"dayOfWeek,omitempty"`
	Cron               string         `yaml:"cron,omitempty"`
	Duration           duration       `yaml:"duration,omitempty"`
	Notify             map[string]any `yaml:"notify,omitempty"`
	Negate             bool           `yaml:"negate,omitempty"`
	Source             map[string]any `yaml:"source,omitempty"`
}

type placeholder struct{}

type hookTemplates struct {
	Deployments                 []deploymentTemplate `yaml:"deployments,omitempty"`
	ReplicaSets                 []map[string]any     `yaml:"replicaSets,omitempty"`
	Services                    []serviceTemplate    `yaml:"services,omitempty"`
	Pods                        []map[string]any     `yaml:"pods,omitempty"`
	Jobs                        []jobTemplate        `yaml:"jobs,omitempty"`
	CronJobs                    []map[string]any     `yaml:"cronJobs,omitempty"`
	Secrets                     []map[string]any     `yaml:"secrets,omitempty"`
	ConfigMaps                  []map[string]any     `yaml:"configMaps,omitempty"`
	ServiceAccounts             []map[string]any     `yaml:"serviceAccounts,omitempty"`
	StatefulSets                []map[string]any     `yaml:"statefulSets,omitempty"`
	Ingresses                   []map[string]any     `yaml:"ingresses,omitempty"`
	PersistentVolumes           []map[string]any     `yaml:"persistentVolumes,omitempty"`
	PersistentVolumeClaims      []map[string]any     `yaml:"persistentVolumeClaims,omitempty"`
	HPA                         []map[string]any     `yaml:"hpa,omitempty"`
	PDB                         []map[string]any     `yaml:"pdb,omitempty"`
	Namespaces                  []map[string]any     `yaml:"namespaces,omitempty"`
	Roles                       []map[string]any     `yaml:"roles,omitempty"`
	RoleBindings                []map[string]any     `yaml:"roleBindings,omitempty"`
	Custom                      []map[string]any     `yaml:"custom,omitempty"`
	ClusterRoles                []map[string]any     `yaml:"clusterRoles,omitempty"`
	ClusterRoleBindings         []map[string]any     `yaml:"clusterRoleBindings,omitempty"`
	LimitRanges                 []map[string]any     `yaml:"limitRanges,omitempty"`
	ResourceQuotas              []map[string]any     `yaml:"resourceQuotas,omitempty"`
	NetworkPolicies             []map[string]any     `yaml:"networkPolicies,omitempty"`
	External                    []any                `yaml:"external,omitempty"`
	When                        []condition          `yaml:"when,omitempty"`
	Or                          []condition          `yaml:"or,omitempty"`
	Ordered                     bool                 `yaml:"ordered,omitempty"`
	Name                        string               `yaml:"name,omitempty"`
	Groups                      []map[string]any     `yaml:"groups,omitempty"`
	Timeout                     *duration            `yaml:"timeout,omitempty"`
	Volumes                     []placeholder        `yaml:"volumes,omitempty"`
	VolumeMounts                []placeholder        `yaml:"volumeMounts,omitempty"`
	ServiceMonitors             []placeholder        `yaml:"serviceMonitors,omitempty"`
	PodSecurityPolicies         []placeholder        `yaml:"podSecurityPolicies,omitempty"`
	PriorityClasses             []placeholder        `yaml:"priorityClasses,omitempty"`
	RuntimeClasses              []placeholder        `yaml:"runtimeClasses,omitempty"`
	PriorityLevelConfigurations []placeholder        `yaml:"priorityLevelConfigurations,omitempty"`
	PodTemplates                []placeholder        `yaml:"podTemplates,omitempty"`
	DaemonSets                  []placeholder        `yaml:"daemonSets,omitempty"`
	StorageClasses              []placeholder        `yaml:"storageClasses,omitempty"`
	StorageLocations            []placeholder        `yaml:"storageLocations,omitempty"`
	StoragePools                []placeholder        `yaml:"storagePools,omitempty"`
	StorageBackups              []placeholder        `yaml:"storageBackups,omitempty"`
	StorageSnapshots            []placeholder        `yaml:"storageSnapshots,omitempty"`
	StorageVolumes              []placeholder        `yaml:"storageVolumes,omitempty"`
}

type resources struct {
	Profile  string            `yaml:"profile,omitempty"`
	Requests map[string]string `yaml:"requests,omitempty"`
	Limits   map[string]string `yaml:"limits,omitempty"`
}

type keyRef struct {
	Name     string `yaml:"name"`
	Key      string `yaml:"key"`
	Optional *bool  `yaml:"optional,omitempty"`
}

type envVar struct {
	Name      string `yaml:"name"`
	Value     string `yaml:"value,omitempty"`
	ValueFrom *struct {
		SecretKeyRef    *keyRef `yaml:"secretKeyRef,omitempty"`
		ConfigMapKeyRef *keyRef `yaml:"configMapKeyRef,omitempty"`
	} `yaml:"valueFrom,omitempty"`
}

type envFromRef struct {
	Name     string   `yaml:"name"`
	Prefix   string   `yaml:"prefix,omitempty"`
	Suffix   string   `yaml:"suffix,omitempty"`
	Optional *bool    `yaml:"optional,omitempty"`
	Keys     []string `yaml:"keys,omitempty"`
}

type deploymentTemplate struct {
	Name             string            `yaml:"name,omitempty"`
	Image            string            `yaml:"image"`
	ImagePullSecrets []string          `yaml:"imagePullSecrets,omitempty"`
	Replicas         string            `yaml:"replicas,omitempty"`
	Port             string            `yaml:"port,omitempty"`
	Protocol         string            `yaml:"protocol,omitempty"`
	Namespace        string            `yaml:"namespace,omitempty"`
	Labels           map[string]string `yaml:"labels,omitempty"`
	Annotations      map[string]string `yaml:"annotations,omitempty"`
	Resources        *resources        `yaml:"resources,omitempty"`
	Env              []envVar          `yaml:"env,omitempty"`
	EnvFrom          *struct {
		SecretRef    []envFromRef `yaml:"secretRef,omitempty"`
		ConfigMapRef []envFromRef `yaml:"configMapRef,omitempty"`
	} `yaml:"envFrom,omitempty"`
	NodeSelector       map[string]string `yaml:"nodeSelector,omitempty"`
	ServiceAccountName string            `yaml:"serviceAccountName,omitempty"`
	Reconcile          bool              `yaml:"reconcile,omitempty"`
	When               []condition       `yaml:"when,omitempty"`
	ForEach            map[string]any    `yaml:"forEach,omitempty"`
	Or                 []condition       `yaml:"or,omitempty"`
	WorkingDirectory   string            `yaml:"workingDirectory,omitempty"`
	Probes             map[string]any    `yaml:"probes,omitempty"`
	SecurityContext    map[string]any    `yaml:"securityContext,omitempty"`
	PodSecurity        map[string]any    `yaml:"podSecurity,omitempty"`
	RollingUpdate      map[string]any    `yaml:"rollingUpdate,omitempty"`
	Volumes            []map[string]any  `yaml:"volumes,omitempty"`
	VolumeMounts       []map[string]any  `yaml:"volumeMounts,omitempty"`
	Sleep              string            `yaml:"sleep,omitempty"`
	ForceConflict      *bool             `yaml:"forceConflict,omitempty"`
	Autoscale          map[string]any    `yaml:"autoscale,omitempty"`
}

type serviceTemplate struct {
	Name          string            `yaml:"name,omitempty"`
	Type          string            `yaml:"type,omitempty"`
	Headless      bool              `yaml:"headless,omitempty"`
	Protocol      string            `yaml:"protocol,omitempty"`
	Port          string            `yaml:"port"`
	TargetPort    string            `yaml:"targetPort,omitempty"`
	Namespace     string            `yaml:"namespace,omitempty"`
	Labels        map[string]string `yaml:"labels,omitempty"`
	Selector      map[string]string `yaml:"selector,omitempty"`
	Reconcile     bool              `yaml:"reconcile,omitempty"`
	When          []condition       `yaml:"when,omitempty"`
	ForEach       map[string]any    `yaml:"forEach,omitempty"`
	Or            []condition       `yaml:"or,omitempty"`
	Sleep         string            `yaml:"sleep,omitempty"`
	ForceConflict *bool             `yaml:"forceConflict,omitempty"`
}

type jobTemplate struct {
	Name               string            `yaml:"name,omitempty"`
	Image              string            `yaml:"image"`
	ImagePullSecrets   []string          `yaml:"imagePullSecrets,omitempty"`
	Command            []string          `yaml:"command,omitempty"`
	Args               []string          `yaml:"args,omitempty"`
	BackoffLimit       int               `yaml:"backoffLimit,omitempty"`
	Namespace          string            `yaml:"namespace,omitempty"`
	Labels             map[string]string `yaml:"labels,omitempty"`
	NodeSelector       map[string]string `yaml:"nodeSelector,omitempty"`
	ServiceAccountName string            `yaml:"serviceAccountName,omitempty"`
	When               []condition       `yaml:"when,omitempty"`
	Reconcile          bool              `yaml:"reconcile,omitempty"`
	ForEach            map[string]any    `yaml:"forEach,omitempty"`
	Or                 []condition       `yaml:"or,omitempty"`
	WorkingDirectory   string            `yaml:"workingDirectory,omitempty"`
	Resources          *resources        `yaml:"resources,omitempty"`
	SecurityContext    map[string]any    `yaml:"securityContext,omitempty"`
	PodSecurity        map[string]any    `yaml:"podSecurity,omitempty"`
	Volumes            []map[string]any  `yaml:"volumes,omitempty"`
	VolumeMounts       []map[string]any  `yaml:"volumeMounts,omitempty"`
	Sleep              string            `yaml:"sleep,omitempty"`
	ForceConflict      *bool             `yaml:"forceConflict,omitempty"`
}
