package app

import (
	"github.com/prometheus/client_golang/prometheus"

	"villagebot/bot"
	"villagebot/internal/delivery"
	"villagebot/internal/telegram"
)

// Metrics are every metric of a bot process.
type Metrics struct {
	Bot      *bot.Metrics
	Telegram *telegram.Metrics
	Delivery *delivery.Metrics
}

// NewMetrics registers a process's metrics with reg: the queues' depths
// (updates, drains, outbound) are one vector.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	depth := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "villagebot_queue_depth", Help: "Items waiting, by queue.",
	}, []string{"queue"})
	reg.MustRegister(depth)
	return &Metrics{
		Bot:      bot.NewMetrics(reg),
		Telegram: telegram.NewMetrics(reg, depth.WithLabelValues("outbound")),
		Delivery: delivery.NewMetrics(reg, depth),
	}
}
