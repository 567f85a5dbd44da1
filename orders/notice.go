package orders

import (
	"encoding/json"
	"fmt"
	"strings"

	"villagebot/catalog"
)

// NotificationKind says what an outbox row tells and which payload it
// carries. The kinds are listed once, here, with their payload types;
// the bot decodes a row with Notification.Decode.
type NotificationKind string

// The kinds of notification.
const (
	// NoticeNewOrder (OrderNotice) tells staff of a new order: each
	// coordinator of a village in it, with that village's lines, and
	// office staff with alerts on, with all lines (see readersOf).
	NoticeNewOrder NotificationKind = "new_order"
	// NoticeReminder (OrderNotice) reminds the same readers of a sale
	// still placed shortly before the hold cancels it (RemindDue).
	NoticeReminder NotificationKind = "order_reminder"
	// NoticeCancelled (OrderNotice) tells the same readers, as they are
	// at cancelling, that an order is off and its units back in stock.
	NoticeCancelled NotificationKind = "order_cancelled"
	// NoticeLowStock (LowStockNotice) tells a product's coordinators its
	// stock fell to the low-stock mark.
	NoticeLowStock NotificationKind = "low_stock"
	// NoticeStatus (StatusNotice) tells the customer of a status change
	// somebody else made, with the reason of a cancellation by staff.
	NoticeStatus NotificationKind = "status"
	// NoticeExpired (StatusNotice) tells the customer their sale was
	// cancelled because nobody confirmed it in time.
	NoticeExpired NotificationKind = "expired"
	// NoticePaid (PaidNotice) tells the readers of an order's notices
	// (readersOf) that Telegram Payments took its payment, once per
	// charge (RecordTelegramPayment).
	NoticePaid NotificationKind = "order_paid"
	// NoticeRestock (RestockNotice) tells a visitor who asked to be told
	// that a sold-out product can be ordered again. The database writes
	// it when the stock comes back (migration 00014, catalog.RestockKind).
	NoticeRestock = NotificationKind(catalog.RestockKind)
)

// OrderNotice is the payload of the staff's notices about one order. A
// coordinator's names their village, whose lines they read; an office
// member's has VillageID 0: all lines.
type OrderNotice struct {
	Order     int64 `json:"order"`
	VillageID int64 `json:"village_id,omitempty"`
}

// LowStockNotice is the payload of NoticeLowStock.
type LowStockNotice struct {
	ProductID int64  `json:"product_id"`
	SKU       string `json:"sku"`
	Stock     int    `json:"stock"`
}

// StatusNotice is the payload of the customer's notices. A cancellation
// by staff carries its Reason, and for ReasonOther the words staff typed.
type StatusNotice struct {
	Order      int64        `json:"order"`
	Status     Status       `json:"status"`
	Reason     CancelReason `json:"reason,omitempty"`
	ReasonText string       `json:"reason_text,omitempty"`
}

// PaidNotice is the payload of NoticePaid: the order, the reader's
// village as in OrderNotice, the amount Telegram took, and whether it is
// due back (the order was cancelled, or paid already by other means).
type PaidNotice struct {
	Order     int64         `json:"order"`
	VillageID int64         `json:"village_id,omitempty"`
	Amount    catalog.Money `json:"amount"`
	Refund    bool          `json:"refund,omitempty"`
}

// RestockNotice is the payload of NoticeRestock: the product, and the
// language the visitor read when they asked.
type RestockNotice struct {
	ProductID int64  `json:"product_id"`
	SKU       string `json:"sku"`
	Language  string `json:"language"`
}

// Decode returns the notification's payload as the type its kind carries:
// an OrderNotice, a LowStockNotice, a StatusNotice, a PaidNotice or a
// RestockNotice.
func (n Notification) Decode() (any, error) {
	var err error
	switch n.Kind {
	case NoticeNewOrder, NoticeReminder, NoticeCancelled:
		var p OrderNotice
		err = json.Unmarshal(n.Payload, &p)
		if err == nil && p.Order <= 0 {
			err = fmt.Errorf("no order")
		}
		return p, wrapNotice(n, err)
	case NoticeLowStock:
		var p LowStockNotice
		err = json.Unmarshal(n.Payload, &p)
		return p, wrapNotice(n, err)
	case NoticeStatus, NoticeExpired:
		var p StatusNotice
		err = json.Unmarshal(n.Payload, &p)
		if err == nil && (p.Order <= 0 || !p.Status.Valid()) {
			err = fmt.Errorf("no order or no status")
		}
		return p, wrapNotice(n, err)
	case NoticePaid:
		var p PaidNotice
		err = json.Unmarshal(n.Payload, &p)
		if err == nil && (p.Order <= 0 || p.Amount <= 0) {
			err = fmt.Errorf("no order or no amount")
		}
		return p, wrapNotice(n, err)
	case NoticeRestock:
		var p RestockNotice
		err = json.Unmarshal(n.Payload, &p)
		if err == nil && p.ProductID <= 0 {
			err = fmt.Errorf("no product")
		}
		return p, wrapNotice(n, err)
	}
	return nil, fmt.Errorf("notification %d: unknown kind %q", n.ID, n.Kind)
}

func wrapNotice(n Notification, err error) error {
	if err != nil {
		return fmt.Errorf("notification %d (%s): %w", n.ID, n.Kind, err)
	}
	return nil
}

// encodeNotice is a payload as the outbox keeps it.
func encodeNotice(p any) (string, error) {
	b, err := json.Marshal(p)
	return string(b), err
}

// orderNoticeSQL builds an OrderNotice in SQL from an order number and a
// village id (NULL for office staff), with the same JSON as encodeNotice:
// jsonb_strip_nulls drops the village of an office member's notice as
// omitempty does. A test checks the two agree (for both builders).
func orderNoticeSQL(number, villageID string) string {
	return `jsonb_strip_nulls(jsonb_build_object('order', ` + number + `::bigint, 'village_id', ` + villageID + `))`
}

// paidNoticeSQL builds a PaidNotice in SQL, with the same JSON as
// encodeNotice (refund, a boolean expression, is left out when false).
func paidNoticeSQL(number, villageID, amount, refund string) string {
	return `jsonb_strip_nulls(jsonb_build_object('order', ` + number + `::bigint, 'village_id', ` + villageID +
		`, 'amount', ` + amount + `::bigint, 'refund', CASE WHEN ` + refund + ` THEN true END))`
}

// lowStockNoticeSQL builds a LowStockNotice in SQL, with the same JSON as
// encodeNotice.
func lowStockNoticeSQL(productID, sku, stock string) string {
	return `jsonb_build_object('product_id', ` + productID + `, 'sku', ` + sku + `, 'stock', ` + stock + `)`
}

// readersOf is the SQL of who is told of an order holding products of
// the villages in the bigint[] expression villages, as rows of
// (telegram_id, village_id): every coordinator of each of those villages,
// with their village; and every office member, with a NULL village (all
// lines), who has alerts on — or all of them when one of the villages
// has no coordinator, so the order reaches someone who can act. The
// bigint expression skip leaves one office member out, the one who caused
// the notice (who placed a gift, who cancelled); 0 leaves nobody out.
// Coordinators are never left out: they prepare their lines whoever
// ordered.
func readersOf(villages, skip string) string {
	r := strings.NewReplacer("VILLAGES", villages, "SKIP", skip)
	return r.Replace(`
		SELECT c.telegram_id, c.village_id
		  FROM staff c
		 WHERE c.role = 'coordinator' AND c.village_id = ANY(VILLAGES) AND c.telegram_id IS NOT NULL
		UNION ALL
		SELECT o.telegram_id, NULL::bigint
		  FROM staff o
		 WHERE o.role = 'office' AND o.telegram_id IS NOT NULL AND o.telegram_id <> SKIP
		   AND (o.alerts OR EXISTS (
		            SELECT 1 FROM unnest(VILLAGES) AS v(id)
		             WHERE NOT EXISTS (SELECT 1 FROM staff c
		                                WHERE c.role = 'coordinator' AND c.village_id = v.id)))`)
}
