package bot_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"villagebot/internal/app"
)

// One chat flooding the bot — 1,100 messages, whose answers Telegram
// paces at one a second — does not stall another chat: its /start is
// answered within Telegram's pacing (a new chat's burst), and the
// flood's excess beyond the chat's bound is dropped with a warning. (The
// bound is lowered from its default, and the drain at shutdown raised, so
// that what is kept of the flood is answered before the test ends.)
func TestOneChatFloodingDoesNotStallAnother(t *testing.T) {
	t.Parallel()
	h := startLimited(t, func(o *app.Options) {
		o.Delivery.MaxPerChat = 4
		o.Delivery.Drain = 20 * time.Second
	})
	flooder, other := h.user(7401, "en"), h.user(7402, "en")
	for i := range 1100 {
		flooder.Send(fmt.Sprintf("/help %d", i))
	}
	h.waitText(flooder, "What I can do") // the flood is being handled
	began := time.Now()
	other.Send("/start")
	if _, err := other.WaitText(5*time.Second, "Welcome"); err != nil {
		t.Fatalf("the other chat's /start, while one chat floods: %v", err)
	}
	took := time.Since(began)
	t.Logf("the other chat's /start answered in %v while one chat sent 1,100 messages", took)
	if took > 2*time.Second {
		t.Errorf("the other chat's /start took %v while one chat floods, want within Telegram's pacing (under 2 s)", took)
	}
	// Every update fetched, the kept ones answered by the end of the
	// drain, the rest dropped.
	waitFor(t, 20*time.Second, "the flood fetched", func() bool { return h.srv.PendingUpdates() == 0 })
	h.stop()
	answered := countMessages(flooder.Messages(), "What I can do")
	dropped := strings.Count(h.logs.String(), "update dropped: its chat has too many waiting")
	if answered+dropped != 1100 || dropped < 1000 {
		t.Errorf("of the flood's 1,100 updates %d were answered and %d dropped with a warning; want all accounted for, most dropped", answered, dropped)
	}
}
