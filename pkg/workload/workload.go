// Package workload writes synthetic Komposer repositories for benchmarks: S
// services (a Deployment and a Service each) and E environments whose
// overlays override every service, plus the same configuration written as a
// CUE module, so that `cue export` can be measured on equal work.
package workload

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Size is the shape of a workload.
type Size struct {
	Services     int
	Environments int
}

func (s Size) String() string { return fmt.Sprintf("%dx%d", s.Services, s.Environments) }

// Write creates the Komposer repository in dir (komposer.yaml, base/,
// envs/<env>/) and the equivalent CUE module in dir/cue.
func Write(dir string, s Size) error {
	files := map[string]string{"komposer.yaml": komposer(s)}
	for i := range s.Services {
		files[filepath.Join("base", svc(i)+".yaml")] = baseService(i)
	}
	for e := range s.Environments {
		var b strings.Builder
		for i := range s.Services {
			if i > 0 {
				b.WriteString("---\n")
			}
			b.WriteString(overlay(i, e))
		}
		files[filepath.Join("envs", env(e), "services.yaml")] = b.String()
	}
	files[filepath.Join("cue", "cue.mod", "module.cue")] = "module: \"bench.example/workload\"\nlanguage: version: \"v0.12.0\"\n"
	files[filepath.Join("cue", "schema.cue")] = cueSchema
	files[filepath.Join("cue", "base.cue")] = cueBase(s)
	for e := range s.Environments {
		files[filepath.Join("cue", env(e)+".cue")] = cueEnv(s, e)
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func svc(i int) string { return fmt.Sprintf("svc-%04d", i) }
func env(e int) string { return fmt.Sprintf("env-%02d", e) }

func komposer(s Size) string {
	var b strings.Builder
	b.WriteString("apiVersion: ork.dev/v1alpha1\nkind: Komposer\nmetadata: {name: bench}\nsources:\n  - name: base\n    path: ./base\nenvironments:\n")
	for e := range s.Environments {
		fmt.Fprintf(&b, "  - name: %s\n    overlays: [./envs/%s]\n", env(e), env(e))
		if e == s.Environments-1 {
			b.WriteString("    production: true\n")
		}
	}
	b.WriteString("bundle: {name: bench-katalog, namespace: bench}\nnamespaces: [apps]\n")
	return b.String()
}

func baseService(i int) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
  namespace: apps
  labels: {app: %[1]s, tier: backend}
spec:
  replicas: 1
  selector:
    matchLabels: {app: %[1]s}
  template:
    metadata:
      labels: {app: %[1]s}
    spec:
      containers:
        - name: app
          image: registry.example.com/%[1]s:1.0.0
          ports:
            - {name: http, containerPort: 8080}
          env:
            - {name: LOG_LEVEL, value: info}
            - {name: PUBLIC_URL, value: "https://%[1]s.$ENV.example.com"}
          resources:
            requests: {cpu: 100m, memory: 128Mi}
---
apiVersion: v1
kind: Service
metadata:
  name: %[1]s
  namespace: apps
spec:
  selector: {app: %[1]s}
  ports:
    - {name: http, port: 80, targetPort: http}
`, svc(i))
}

func overlay(i, e int) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
  namespace: apps
spec:
  replicas: %[2]d
  template:
    spec:
      containers:
        - name: app
          image: registry.example.com/%[1]s:1.%[3]d.%[4]d
          env:
            - {name: LOG_LEVEL, value: debug}
            - {name: REGION, value: region-%[3]d}
          resources:
            requests: {cpu: %[5]dm, memory: %[6]dMi}
`, svc(i), 1+(i+e)%5, e, i%10, 100+10*e, 128+16*(i%8))
}

const cueSchema = `package workload

#Container: {
	name!:  string
	image!: string
	ports?: [...{name?: string, containerPort!: int & >=1 & <=65535, protocol: *"TCP" | "UDP" | "SCTP"}]
	env?: [...{name!: string, value?: string}]
	resources?: requests?: [string]: string | int
}
#Deployment: {
	apiVersion: "apps/v1"
	kind:       "Deployment"
	metadata: {name!: string, namespace?: string, labels?: [string]: string}
	spec: {
		replicas: *1 | int & >=0
		selector: matchLabels: [string]: string
		template: {
			metadata: labels?: [string]: string
			spec: containers: [...#Container]
		}
	}
}
#Service: {
	apiVersion: "v1"
	kind:       "Service"
	metadata: {name!: string, namespace?: string}
	spec: {
		type: *"ClusterIP" | "NodePort" | "LoadBalancer"
		selector: [string]: string
		ports: [...{name?: string, port!: int & >=1 & <=65535, targetPort?: int | string, protocol: *"TCP" | "UDP"}]
	}
}

// #Svc is one service's settings; environments override them.
#Svc: {
	name:     string
	env:      string
	replicas: *1 | int
	image:    string
	cpu:      *"100m" | string
	memory:   *"128Mi" | string
	logLevel: *"info" | string
	region?:  string
}

envs: [E=string]: services: [N=string]: #Svc & {name: N, env: E}

manifests: {
	for e, ev in envs {
		(e): deployments: [for n, s in ev.services {
			#Deployment & {
				metadata: {name: n, namespace: "apps", labels: {app: n, tier: "backend"}}
				spec: {
					replicas: s.replicas
					selector: matchLabels: app: n
					template: {
						metadata: labels: app: n
						spec: containers: [{
							name:  "app"
							image: s.image
							ports: [{name: "http", containerPort: 8080}]
							env: [
								{name: "LOG_LEVEL", value: s.logLevel},
								{name: "PUBLIC_URL", value: "https://\(n).\(e).example.com"},
								if s.region != _|_ {{name: "REGION", value: s.region}},
							]
							resources: requests: {cpu: s.cpu, memory: s.memory}
						}]
					}
				}
			}
		}]
		(e): services: [for n, s in ev.services {
			#Service & {
				metadata: {name: n, namespace: "apps"}
				spec: {selector: app: n, ports: [{name: "http", port: 80, targetPort: "http"}]}
			}
		}]
	}
}
`

func cueBase(s Size) string {
	var b strings.Builder
	b.WriteString("package workload\n\n// Every environment has every service, with these defaults.\n")
	for e := range s.Environments {
		for i := range s.Services {
			fmt.Fprintf(&b, "envs: %q: services: %q: image: *\"registry.example.com/%s:1.0.0\" | string\n", env(e), svc(i), svc(i))
		}
	}
	return b.String()
}

func cueEnv(s Size, e int) string {
	var b strings.Builder
	b.WriteString("package workload\n\n")
	for i := range s.Services {
		fmt.Fprintf(&b, "envs: %q: services: %q: {replicas: %d, image: \"registry.example.com/%s:1.%d.%d\", logLevel: \"debug\", region: \"region-%d\", cpu: \"%dm\", memory: \"%dMi\"}\n",
			env(e), svc(i), 1+(i+e)%5, svc(i), e, i%10, e, 100+10*e, 128+16*(i%8))
	}
	return b.String()
}

// WriteChart writes the same workload as a Helm chart in dir/helm, with one
// values file per environment (dir/helm/values/<env>.yaml): `helm template`
// of the chart with an environment's values renders the objects that ork's
// bundle of that environment holds, schema defaults included.
func WriteChart(dir string, s Size) error {
	files := map[string]string{
		"Chart.yaml":                "apiVersion: v2\nname: bench\nversion: 1.0.0\n",
		"templates/deployment.yaml": chartDeployment,
		"templates/service.yaml":    chartService,
	}
	for e := range s.Environments {
		var b strings.Builder
		fmt.Fprintf(&b, "env: %s\nservices:\n", env(e))
		for i := range s.Services {
			fmt.Fprintf(&b, "  - {name: %s, replicas: %d, image: \"registry.example.com/%s:1.%d.%d\", logLevel: debug, region: region-%d, cpu: %dm, memory: %dMi}\n",
				svc(i), 1+(i+e)%5, svc(i), e, i%10, e, 100+10*e, 128+16*(i%8))
		}
		files[filepath.Join("values", env(e)+".yaml")] = b.String()
	}
	for name, content := range files {
		p := filepath.Join(dir, "helm", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

const chartDeployment = `{{- range .Values.services }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .name }}
  namespace: apps
  labels:
    app: {{ .name }}
    tier: backend
spec:
  replicas: {{ .replicas }}
  selector:
    matchLabels:
      app: {{ .name }}
  template:
    metadata:
      labels:
        app: {{ .name }}
    spec:
      containers:
        - name: app
          image: {{ .image | quote }}
          ports:
            - name: http
              containerPort: 8080
              protocol: TCP
          env:
            - name: LOG_LEVEL
              value: {{ .logLevel | quote }}
            - name: PUBLIC_URL
              value: "https://{{ .name }}.{{ $.Values.env }}.example.com"
            - name: REGION
              value: {{ .region | quote }}
          resources:
            requests:
              cpu: {{ .cpu | quote }}
              memory: {{ .memory | quote }}
{{- end }}
`

const chartService = `{{- range .Values.services }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ .name }}
  namespace: apps
spec:
  type: ClusterIP
  selector:
    app: {{ .name }}
  ports:
    - name: http
      port: 80
      targetPort: http
      protocol: TCP
{{- end }}
`
