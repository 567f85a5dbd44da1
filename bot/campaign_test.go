package bot_test

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"villagebot/bot/telegramtest"
	"villagebot/catalog"
)

// A fault campaign: rounds of buyers check out and confirm while, at
// random after each round's presses, the bot process is killed (SIGKILL)
// and started again, Redis is flushed (the test's prefix) or the bot's
// PostgreSQL backends are terminated. In the end every unit of stock is
// accounted for, every order a buyer was told of exists once and no
// other, and no buyer has two orders. The seed is logged; set
// VILLAGEBOT_FAULT_SEED to run the same campaign again.
func TestFaultCampaign(t *testing.T) {
	t.Parallel()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("VILLAGEBOT_FAULT_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("VILLAGEBOT_FAULT_SEED %q: %v", s, err)
		}
		seed = n
	}
	t.Logf("fault campaign seed %d (VILLAGEBOT_FAULT_SEED=%d runs it again)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	f := startFaulty(t)
	h := f.harness
	skus := []string{"XL-PEPPER", "QZ-ORANGE", "LI-BROCADE"}
	// Enough of each for every buyer (4 rounds of 4, at most 2 units
	// each): a sold-out card would stop a buyer before the confirm.
	for _, sku := range skus {
		if _, err := catalog.NewStore(f.db).SetStock(context.Background(), sku, 40, "test"); err != nil {
			t.Fatal(err)
		}
	}
	before := f.stockBook()
	h.stop()
	p := f.spawn()

	faults := []string{"bot killed and restarted", "Redis flushed", "PostgreSQL backends terminated"}
	var all []*telegramtest.User
	for round := range 4 {
		var buyers []*telegramtest.User
		var sums []telegramtest.Message
		for i := range 4 {
			u := h.user(int64(5701+10*round+i), "en")
			buyers, all = append(buyers, u), append(all, u)
			sums = append(sums, h.checkout(u, skus[rng.IntN(len(skus))], 1+rng.IntN(2)))
		}
		for i, u := range buyers {
			mustPress(t, u, sums[i].ID, confirmData(t, sums[i]))
		}
		fault := rng.IntN(len(faults))
		t.Logf("round %d: %s", round, faults[fault])
		switch fault {
		case 0:
			p.kill()
			p = f.spawn()
		case 1:
			f.flush(t)
		case 2:
			f.terminate(killedAppName, "")
		}
	}
	// The last process answers everything in hand before it is stopped
	// (that stop is no fault of the campaign), then the test's own bot
	// checks every chat once more.
	for _, u := range all {
		h.settle(u)
	}
	p.kill()
	h.run()
	for _, u := range all {
		h.settle(u)
	}
	if n := h.count(`SELECT count(*) FROM (SELECT customer_id FROM orders WHERE status <> 'cancelled'
	                   GROUP BY customer_id HAVING count(*) > 1) AS twice`); n != 0 {
		t.Errorf("%d buyers have two orders from one checkout", n)
	}
	f.assertConserved(before, all...)
}
