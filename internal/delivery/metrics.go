package delivery

import "github.com/prometheus/client_golang/prometheus"

// Metrics are what delivery tells Prometheus. A nil *Metrics records
// nothing.
type Metrics struct {
	// QueueDepth is the number waiting, by queue: updates (in the
	// dispatcher) and drains (chats waiting for a worker to drain their
	// shared queue).
	QueueDepth *prometheus.GaugeVec
	// Dropped counts updates dropped because their chat had too many
	// waiting, by kind of chat (private, group).
	Dropped *prometheus.CounterVec
}

// NewMetrics makes delivery's metrics, the queues' depths in queueDepth
// (a vector the caller registers, as it may share it), and registers the
// others with reg.
func NewMetrics(reg prometheus.Registerer, queueDepth *prometheus.GaugeVec) *Metrics {
	m := &Metrics{
		QueueDepth: queueDepth,
		Dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "villagebot_updates_dropped_total", Help: "Updates dropped because their chat had too many waiting, by kind of chat.",
		}, []string{"chat"}),
	}
	reg.MustRegister(m.Dropped)
	return m
}

func (m *Metrics) queue(name string, delta float64) {
	if m != nil && m.QueueDepth != nil {
		m.QueueDepth.WithLabelValues(name).Add(delta)
	}
}

func (m *Metrics) dropped(chat int64) {
	if m != nil {
		kind := "private"
		if chat < 0 {
			kind = "group"
		}
		m.Dropped.WithLabelValues(kind).Inc()
	}
}
