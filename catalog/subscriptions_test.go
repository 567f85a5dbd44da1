package catalog_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"villagebot/catalog"
	"villagebot/catalog/catalogtest"
	"villagebot/internal/pg"
	"villagebot/internal/pgtest"
	"villagebot/orders"
)

// restockAlert is a 'restock' row of the outbox as the notifier reads it.
type restockAlert struct {
	ChatID    int64  `json:"-"`
	ProductID int64  `json:"product_id"`
	SKU       string `json:"sku"`
	Language  string `json:"language"`
}

// drainRestocks claims the due notifications through the orders store, as
// the bot's notifier does, marks each sent and returns the restock alerts.
func drainRestocks(t *testing.T, st *orders.Store) []restockAlert {
	t.Helper()
	ctx := context.Background()
	var alerts []restockAlert
	for {
		ns, err := st.ClaimNotifications(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(ns) == 0 {
			return alerts
		}
		for _, n := range ns {
			if n.Kind == catalog.RestockKind {
				var a restockAlert
				if err := json.Unmarshal(n.Payload, &a); err != nil {
					t.Fatal(err)
				}
				a.ChatID = n.ChatID
				alerts = append(alerts, a)
			}
			if err := st.MarkSent(ctx, n.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func alertChats(alerts []restockAlert) []int64 {
	var chats []int64
	for _, a := range alerts {
		chats = append(chats, a.ChatID)
	}
	slices.Sort(chats)
	return chats
}

// openTwice opens two connections to one fresh database, as two runs of
// the bot would.
func openTwice(t *testing.T) (*sqlx.DB, *sqlx.DB) {
	t.Helper()
	url := pgtest.NewURL(t)
	var dbs [2]*sqlx.DB
	for i := range dbs {
		db, err := pg.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	return dbs[0], dbs[1]
}

func productID(t *testing.T, s *catalog.Store, sku string) int64 {
	t.Helper()
	p, err := s.ProductBySKU(context.Background(), sku)
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// Each subscriber is told once, in their language, when the product is
// back; a second restock, or the bot starting again, tells no one again.
func TestRestockAlertsEachSubscriberOnceAcrossARestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db1, db2 := openTwice(t)
	catalogtest.Seed(t, db1)
	s1, o1 := catalog.NewStore(db1), orders.NewStore(db1)
	tea := productID(t, s1, "MN-BLACKTEA")
	if _, err := s1.SetStock(ctx, "MN-BLACKTEA", 0, "cli"); err != nil {
		t.Fatal(err)
	}
	for chat, lang := range map[int64]string{101: "ru", 102: "zh", 103: "en"} {
		if _, err := s1.Subscribe(ctx, chat, tea, lang); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db1.ExecContext(ctx, `UPDATE stock_subscriptions SET expires_at = now() - interval '1 second' WHERE chat_id = 103`); err != nil {
		t.Fatal(err)
	}
	if got := drainRestocks(t, o1); len(got) != 0 {
		t.Fatalf("alerts before the restock: %v", got)
	}

	if _, err := s1.AdjustStock(ctx, "MN-BLACKTEA", 5, "telegram:7"); err != nil {
		t.Fatal(err)
	}
	// The first run claims the alerts and dies before sending them: the
	// lease runs out and the second run sends them, once.
	claimed, err := o1.ClaimNotifications(ctx, 100)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claimed %v, %v; want the two live subscribers' alerts", claimed, err)
	}
	if _, err := db1.ExecContext(ctx, `UPDATE outbox SET claimed_until = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	s2, o2 := catalog.NewStore(db2), orders.NewStore(db2)
	got := drainRestocks(t, o2)
	if chats := alertChats(got); !slices.Equal(chats, []int64{101, 102}) {
		t.Fatalf("alerts went to %v, want 101 and 102 (103's subscription had expired)", chats)
	}
	for _, a := range got {
		want := map[int64]string{101: "ru", 102: "zh"}[a.ChatID]
		if a.Language != want || a.ProductID != tea || a.SKU != "MN-BLACKTEA" {
			t.Errorf("alert %+v, want product %d MN-BLACKTEA in %s", a, tea, want)
		}
	}

	// Sold out and back again: the subscriptions ended with the alert.
	if _, err := s2.SetStock(ctx, "MN-BLACKTEA", 0, "cli"); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.SetStock(ctx, "MN-BLACKTEA", 9, "cli"); err != nil {
		t.Fatal(err)
	}
	if again := drainRestocks(t, o2); len(again) != 0 {
		t.Errorf("a second restock told %v again", alertChats(again))
	}
	for _, chat := range []int64{101, 102} {
		if subs, err := s2.ForChat(ctx, chat); err != nil || len(subs) != 0 {
			t.Errorf("chat %d still holds %v, %v", chat, subs, err)
		}
	}
}

// Stock comes back by every path — the command line, an import, a
// cancelled order — and a hidden product alerts when it is shown again.
func TestRestockAlertsWhateverBringsStockBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, db := demoStore(t)
	o := orders.NewStore(db)

	t.Run("an import", func(t *testing.T) {
		id := productID(t, s, "QZ-HONEY")
		if _, err := s.SetStock(ctx, "QZ-HONEY", 0, "cli"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Subscribe(ctx, 201, id, "en"); err != nil {
			t.Fatal(err)
		}
		b, err := catalog.Parse(context.Background(), "honey.csv", strings.NewReader("sku,village,category,name_en,price,stock\nQZ-HONEY,qiongzhong,other,Qiongzhong Mountain Honey,128.00,12\n"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Import(ctx, b, catalog.ImportOptions{Actor: "import"}); err != nil {
			t.Fatal(err)
		}
		if chats := alertChats(drainRestocks(t, o)); !slices.Equal(chats, []int64{201}) {
			t.Errorf("alerts to %v, want 201", chats)
		}
	})

	t.Run("a cancelled order", func(t *testing.T) {
		id := productID(t, s, "QZ-ORANGE")
		p, err := s.SetStock(ctx, "QZ-ORANGE", 2, "cli")
		if err != nil {
			t.Fatal(err)
		}
		ord, _, err := o.Place(ctx, orders.PlaceRequest{
			Token: "restock-cancel", Kind: orders.Sale,
			Customer: orders.Customer{TelegramID: 300, ChatID: 300, FirstName: "Anna", Language: "en"},
			Contact:  "Anna", Phone: "+86 138 0013 8000", Delivery: orders.Pickup,
			Lines: []orders.LineRequest{{ProductID: p.ID, Quantity: 2}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Subscribe(ctx, 202, id, "ru"); err != nil {
			t.Fatal(err)
		}
		drainRestocks(t, o) // the new order's notices
		if _, err := o.SetStatus(ctx, ord.Number, orders.Cancelled, "telegram:1"); err != nil {
			t.Fatal(err)
		}
		if chats := alertChats(drainRestocks(t, o)); !slices.Equal(chats, []int64{202}) {
			t.Errorf("alerts to %v, want 202", chats)
		}
	})

	t.Run("shown again while in stock", func(t *testing.T) {
		id := productID(t, s, "XL-PEPPER")
		if _, err := s.SetStock(ctx, "XL-PEPPER", 0, "cli"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Subscribe(ctx, 203, id, "zh"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetVisible(ctx, "XL-PEPPER", false, "cli"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetStock(ctx, "XL-PEPPER", 4, "cli"); err != nil {
			t.Fatal(err)
		}
		if got := drainRestocks(t, o); len(got) != 0 {
			t.Errorf("a hidden product alerted %v", alertChats(got))
		}
		if _, err := s.SetVisible(ctx, "XL-PEPPER", true, "cli"); err != nil {
			t.Fatal(err)
		}
		if chats := alertChats(drainRestocks(t, o)); !slices.Equal(chats, []int64{203}) {
			t.Errorf("alerts to %v, want 203", chats)
		}
	})
}

func TestSubscriptions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, db := demoStore(t)
	tea, rice := productID(t, s, "MN-BLACKTEA"), productID(t, s, "MN-SHANLAN")
	for _, sku := range []string{"MN-BLACKTEA", "MN-SHANLAN"} {
		if _, err := s.SetStock(ctx, sku, 0, "cli"); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("refused subscriptions change nothing", func(t *testing.T) {
		before := dbState(t, db)
		for _, tt := range []struct {
			name      string
			productID int64
			lang      string
			want      error
		}{
			{"a product in stock", productID(t, s, "BS-GREENTEA"), "en", catalog.ErrInStock},
			{"a hidden product", productID(t, s, "XL-VANILLA"), "en", catalog.ErrNotFound},
			{"no such product", 999999, "en", catalog.ErrNotFound},
			{"a bad language", tea, "english; DROP", catalog.ErrInvalid},
		} {
			if _, err := s.Subscribe(ctx, 401, tt.productID, tt.lang); !errors.Is(err, tt.want) {
				t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
			}
		}
		if !errors.Is(catalog.ErrInStock, catalog.ErrInvalid) {
			t.Error("ErrInStock is not an ErrInvalid")
		}
		if subs, _ := s.ForChat(ctx, 401); len(subs) != 0 || dbState(t, db) != before {
			t.Errorf("a refused subscription left %v", subs)
		}
	})

	t.Run("subscribing again renews, newest first", func(t *testing.T) {
		first, err := s.Subscribe(ctx, 402, tea, "en")
		if err != nil {
			t.Fatal(err)
		}
		if d := first.ExpiresAt.Sub(first.CreatedAt); d != catalog.SubscriptionTTL {
			t.Errorf("a subscription lasts %v, want %v", d, catalog.SubscriptionTTL)
		}
		if _, err := s.Subscribe(ctx, 402, rice, "en"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Subscribe(ctx, 402, tea, "ru"); err != nil {
			t.Fatal(err)
		}
		subs, err := s.ForChat(ctx, 402)
		if err != nil || len(subs) != 2 || subs[0].SKU != "MN-BLACKTEA" || subs[0].Language != "ru" || subs[1].SKU != "MN-SHANLAN" {
			t.Fatalf("ForChat = %+v, %v", subs, err)
		}
		if subs[0].Name.Get("en") != "Wuzhishan Black Tea" {
			t.Errorf("the subscription names %v", subs[0].Name)
		}
	})

	t.Run("unsubscribe, forget and purge", func(t *testing.T) {
		for _, id := range []int64{tea, rice} {
			if _, err := s.Subscribe(ctx, 403, id, "zh"); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Unsubscribe(ctx, 403, tea); err != nil {
			t.Fatal(err)
		}
		if err := s.Unsubscribe(ctx, 403, tea); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("unsubscribing twice: %v, want ErrNotFound", err)
		}
		if n, err := s.ForgetChat(ctx, 403); n != 1 || err != nil {
			t.Errorf("ForgetChat = %d, %v; want 1", n, err)
		}
		if _, err := s.Subscribe(ctx, 404, tea, "zh"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `UPDATE stock_subscriptions SET expires_at = now() - interval '1 day' WHERE chat_id = 404`); err != nil {
			t.Fatal(err)
		}
		if subs, _ := s.ForChat(ctx, 404); len(subs) != 0 {
			t.Errorf("an expired subscription is listed: %v", subs)
		}
		if on, err := s.Subscribed(ctx, 404, tea); on || err != nil {
			t.Errorf("Subscribed to an expired subscription = %v, %v", on, err)
		}
		if on, err := s.Subscribed(ctx, 402, tea); !on || err != nil {
			t.Errorf("Subscribed to a live subscription = %v, %v", on, err)
		}
		if n, err := s.PurgeExpiredSubscriptions(ctx); n != 1 || err != nil {
			t.Errorf("PurgeExpiredSubscriptions = %d, %v; want 1", n, err)
		}
	})

	t.Run("a chat holds at most MaxSubscriptions", func(t *testing.T) {
		var csv strings.Builder
		csv.WriteString("sku,village,category,name_en,price,stock\n")
		for i := range catalog.MaxSubscriptions {
			fmt.Fprintf(&csv, "MN-SOLD-%d,maona,other,Sold out %d,1.00,0\n", i, i)
		}
		b, err := catalog.Parse(context.Background(), "sold.csv", strings.NewReader(csv.String()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Import(ctx, b, catalog.ImportOptions{Actor: "import"}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO stock_subscriptions (chat_id, product_id, language, expires_at)
			SELECT 405, id, 'en', now() + interval '1 day' FROM products WHERE sku LIKE 'MN-SOLD-%'`); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Subscribe(ctx, 405, tea, "en"); !errors.Is(err, catalog.ErrInvalid) {
			t.Errorf("subscription %d: %v, want ErrInvalid", catalog.MaxSubscriptions+1, err)
		}
		if _, err := s.Subscribe(ctx, 405, productID(t, s, "MN-SOLD-0"), "ru"); err != nil {
			t.Errorf("renewing one of %d: %v", catalog.MaxSubscriptions, err)
		}
	})
}
