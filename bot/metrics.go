package bot

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are what the bot tells Prometheus of the updates it handles
// and the orders placed (the Bot API calls and the queues are
// internal/telegram's and internal/delivery's). A nil *Metrics records
// nothing, so tests and tools need not build one.
type Metrics struct {
	// Updates counts updates by kind (message, callback, other) and
	// outcome (ok, error, duplicate).
	Updates *prometheus.CounterVec
	// HandlerSeconds is the time from taking an update to having handled it.
	HandlerSeconds prometheus.Histogram
	// OrdersPlaced counts orders placed, by kind (sale, gift).
	OrdersPlaced *prometheus.CounterVec
	// StockOuts counts checkouts refused for want of stock.
	StockOuts prometheus.Counter
}

// NewMetrics registers the bot's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Updates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "villagebot_updates_total", Help: "Telegram updates, by kind and outcome.",
		}, []string{"kind", "outcome"}),
		HandlerSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "villagebot_handler_seconds", Help: "Time to handle one update.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		OrdersPlaced: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "villagebot_orders_placed_total", Help: "Orders placed, by kind.",
		}, []string{"kind"}),
		StockOuts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "villagebot_stock_outs_total", Help: "Checkouts refused for want of stock.",
		}),
	}
	reg.MustRegister(m.Updates, m.HandlerSeconds, m.OrdersPlaced, m.StockOuts)
	return m
}

func (m *Metrics) update(kind, outcome string) {
	if m != nil {
		m.Updates.WithLabelValues(kind, outcome).Inc()
	}
}

func (m *Metrics) handled(seconds float64) {
	if m != nil {
		m.HandlerSeconds.Observe(seconds)
	}
}

func (m *Metrics) placed(kind string) {
	if m != nil {
		m.OrdersPlaced.WithLabelValues(kind).Inc()
	}
}

func (m *Metrics) stockOut() {
	if m != nil {
		m.StockOuts.Inc()
	}
}
