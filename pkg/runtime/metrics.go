package runtime

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the runtime's Prometheus series, on a registry of its own.
type metrics struct {
	reg        *prometheus.Registry
	managed    prometheus.Gauge
	drift      *prometheus.CounterVec
	errors     *prometheus.CounterVec
	pruned     *prometheus.CounterVec
	info       *prometheus.GaugeVec
	leader     prometheus.Gauge
	ready      prometheus.Gauge
	readyAfter prometheus.Gauge
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		managed: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ork_runtime_objects_managed",
			Help: "Objects of the bundle the runtime applied and holds.",
		}),
		drift: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ork_runtime_drift_corrections_total",
			Help: "Objects set back to the bundle after they were deleted or changed.",
		}, []string{"kind"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ork_runtime_apply_errors_total",
			Help: "Server-side applies the API server refused or that failed.",
		}, []string{"kind"}),
		pruned: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ork_runtime_pruned_total",
			Help: "Objects deleted because the bundle no longer holds them.",
		}, []string{"kind"}),
		info: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ork_runtime_bundle_info",
			Help: "The bundle the runtime holds the cluster to (always 1).",
		}, []string{"digest", "environment"}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ork_runtime_leader",
			Help: "1 while this replica holds the lease and reconciles.",
		}),
		ready: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ork_runtime_ready",
			Help: "1 once every object of the bundle was applied.",
		}),
		readyAfter: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ork_runtime_ready_seconds",
			Help: "Seconds from the process start to ready.",
		}),
	}
	m.reg.MustRegister(m.managed, m.drift, m.errors, m.pruned, m.info, m.leader, m.ready, m.readyAfter,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}
