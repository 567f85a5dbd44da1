package orders_test

import (
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"villagebot/catalog"
	"villagebot/orders"
)

// BenchmarkPlace20Products places orders of 1 to 3 lines spread over 20
// products of 4 villages, each village with a coordinator to notify.
func BenchmarkPlace20Products(b *testing.B) {
	benchmarkPlace(b, 20, 3)
}

// BenchmarkPlaceHotProduct places orders of 1 unit of one product, so every
// checkout queues for the same stock row.
func BenchmarkPlaceHotProduct(b *testing.B) {
	benchmarkPlace(b, 1, 1)
}

// benchmarkPlace places orders from 8 goroutines per CPU at once through
// the real PostgreSQL, each by its own customer with its own token, on
// products with stock that never runs out, and reports orders/s.
func benchmarkPlace(b *testing.B, products, maxLines int) {
	f := newFixture(b)
	f.store.Now = time.Now
	var villages, ids []int64
	for i := range min(products, 4) {
		v := f.village(fmt.Sprintf("v%d", i))
		f.coordinator(9000+v, v)
		villages = append(villages, v)
	}
	for i := range products {
		ids = append(ids, f.product(villages[i%len(villages)], fmt.Sprintf("P%02d", i), 2_000_000_000, catalog.Money(100*(i+1))))
	}

	var seq, failed atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewPCG(uint64(seq.Add(1)), 7))
		for pb.Next() {
			i := seq.Add(1)
			var ls []orders.LineRequest
			for range 1 + rng.IntN(maxLines) {
				ls = append(ls, line(ids[rng.IntN(len(ids))], 1))
			}
			req := sale(fmt.Sprintf("bench-%d", i), 100000+i, ls...)
			if _, _, err := f.store.Place(f.ctx, req); err != nil {
				failed.Add(1)
				b.Error(err)
			}
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "orders/s")
	if failed.Load() > 0 {
		b.Fatalf("%d of %d orders failed", failed.Load(), b.N)
	}
}
