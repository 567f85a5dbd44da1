package telegram

import "github.com/prometheus/client_golang/prometheus"

// Metrics are what the client tells Prometheus. A nil *Metrics records
// nothing.
type Metrics struct {
	// Outbound counts Bot API calls by method and result (ok, 4xx, 5xx,
	// 429, network, not_sent).
	Outbound *prometheus.CounterVec
	// TooManyRequests counts 429 answers from Telegram.
	TooManyRequests prometheus.Counter
	// Waiting is the calls waiting for their turn in the limiter.
	Waiting prometheus.Gauge
}

// NewMetrics makes the client's metrics, the calls waiting being waiting
// (a gauge the caller registers, as it may share its vector with other
// queues), and registers the others with reg.
func NewMetrics(reg prometheus.Registerer, waiting prometheus.Gauge) *Metrics {
	m := &Metrics{
		Outbound: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "villagebot_telegram_calls_total", Help: "Bot API calls, by method and result.",
		}, []string{"method", "result"}),
		TooManyRequests: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "villagebot_telegram_429_total", Help: "429 Too Many Requests answers from Telegram.",
		}),
		Waiting: waiting,
	}
	reg.MustRegister(m.Outbound, m.TooManyRequests)
	return m
}

func (m *Metrics) outbound(method, result string) {
	if m != nil {
		m.Outbound.WithLabelValues(method, result).Inc()
		if result == "429" {
			m.TooManyRequests.Inc()
		}
	}
}

func (m *Metrics) waiting(delta float64) {
	if m != nil && m.Waiting != nil {
		m.Waiting.Add(delta)
	}
}
