package bot

import (
	"strconv"
	"strings"
)

// Callback data is short and typed: a prefix naming the kind, then ids,
// separated by ":" (e.g. "p:42:3"). It never carries prices, stock or
// anything else the bot must trust: handlers read those anew. Every kind
// is declared here, once, with the arguments it carries (callbackKinds);
// parsing checks the shape and bounds, and anything else is stale or
// forged.
const (
	cbMenu       = "m"  // m
	cbVillages   = "vl" // vl:<page>
	cbVillage    = "v"  // v:<village id>:<page>
	cbCategories = "cl" // cl
	cbCategory   = "c"  // c:<category index>:<page>
	cbProduct    = "p"  // p:<product id>:<quantity>
	cbSearch     = "s"  // s
	cbLanguage   = "l"  // l (the picker), l:<language code>
	cbHelp       = "h"  // h

	cbAdd     = "a"  // a:<product id>:<quantity>
	cbCart    = "k"  // k
	cbCartQty = "kq" // kq:<product id>:<quantity>; 0 removes the line

	cbCheckout = "co" // co: start checkout from the cart
	cbDelivery = "cd" // cd:<delivery index>
	cbConfirm  = "cc" // cc:<checkout token>
	cbAbort    = "cx" // cx: leave the flow

	cbMyOrders    = "o"  // o
	cbCancelAsk   = "ox" // ox:<order number>: ask to confirm
	cbCancelOrder = "oy" // oy:<order number>: cancel it

	cbNewVillage  = "nv" // nv:<village id>
	cbNewCategory = "nc" // nc:<category index>
	cbNewGift     = "ng" // ng:<0|1>
	cbNewCreate   = "ny" // ny: create the product

	cbGiftPick    = "gp" // gp:<product id>: ask how many
	cbGiftNext    = "gn" // gn: products chosen, on to the occasion
	cbGiftClear   = "gc" // gc: start the choice again
	cbGiftConfirm = "gy" // gy:<checkout token>
	cbGiftEdit    = "ge" // ge:<field index>: change one answer from the summary
	cbGiftBack    = "gb" // gb: from the summary back to the notes
	cbGiftFix     = "gf" // gf:<product id>:<quantity>: a short line's fix; 0 drops it

	// The order desk (orderdesk*.go); <where> is onCard or onPending.
	cbDeskConfirm   = "dc"  // dc:<order>:<where>: office, placed → confirmed
	cbDeskReady     = "dr"  // dr:<order>:<where>: the presser's village's lines (all for office) ready
	cbDeskDelivered = "dd"  // dd:<order>:<where>: office, ready → delivered
	cbDeskCancel    = "dx"  // dx:<order>:<where>: office, ask why
	cbDeskReason    = "dxr" // dxr:<order>:<reason index>:<where>: ask to confirm, or for the words of "other"
	cbDeskCancelYes = "dxy" // dxy:<order>:<reason index>:<where>: cancel it
	cbDeskKeep      = "dxn" // dxn:<order>:<where>: do not cancel
	// Payment (payment*.go).
	cbPayNow     = "pn" // pn:<order>: the customer asks for an invoice
	cbPaidAsk    = "pa" // pa:<order>: staff: how was it paid?
	cbPaidMethod = "pm" // pm:<order>:<method index in orders.StaffMethods>
	cbRefundYes  = "ry" // ry:<order>: cancel the paid order and mark it refunded
	cbRefundNo   = "rn" // rn:<order>: keep it

	cbStockPage = "sp" // sp:<village id>:<page>: a page of /stock

	// Confirmations and /stock buttons (staff.go, stock.go).
	cbRevokeYes  = "rvy" // rvy:<telegram id>: revoke the role
	cbRevokeKeep = "rvn" // rvn:<telegram id>: keep it
	cbPriceSet   = "prs" // prs:<product id>:<new price, fen>:<price asked over, fen>
	cbPriceKeep  = "prk" // prk:<product id>
	cbStockAdd   = "sa"  // sa:<product id>:<change index, stockChanges>:<page>
	cbStockShow  = "sv"  // sv:<product id>:<visible 0|1 + 2 × step index>:<page>
	cbStockStep  = "ss"  // ss:<village id>:<page>:<step index, stockSteps>
	// Search and back-in-stock alerts (search.go, restock.go).
	cbSearchPage  = "sr" // sr:<search number>:<page>: a page of a search's results
	cbRestockOn   = "bn" // bn:<product id>: tell me when it is back in stock
	cbRestockStop = "bs" // bs:<product id>: do not
)

// cbArg is the kind of one argument of callback data, by its largest
// value.
type cbArg int

const (
	argID    cbArg = iota // a product, village or order id: at most maxID
	argPage               // a page of a list: at most maxPage
	argQty                // a quantity: at most maxQuantity
	argIndex              // an index into a short list (categories, deliveries, yes/no)
	argToken              // a checkout token: 16 hex digits
	argLang               // a language code
)

// Bounds of callback arguments.
const (
	maxID   = 1 << 53 // ids as JSON numbers keep them exactly
	maxPage = 10_000
)

// callbackKinds are the arguments of every kind of callback data. The
// router routes exactly these kinds (a test checks it), and each fits
// Telegram's 64 bytes with its largest arguments (a test checks that too).
var callbackKinds = map[string][]cbArg{
	cbMenu: nil, cbVillages: {argPage}, cbVillage: {argID, argPage}, cbCategories: nil,
	cbCategory: {argIndex, argPage}, cbProduct: {argID, argQty}, cbSearch: nil, cbLanguage: {argLang}, cbHelp: nil,

	cbAdd: {argID, argQty}, cbCart: nil, cbCartQty: {argID, argQty},

	cbCheckout: nil, cbDelivery: {argIndex}, cbConfirm: {argToken}, cbAbort: nil,

	cbMyOrders: nil, cbCancelAsk: {argID}, cbCancelOrder: {argID},

	cbNewVillage: {argID}, cbNewCategory: {argIndex}, cbNewGift: {argIndex}, cbNewCreate: nil,

	cbGiftPick: {argID}, cbGiftNext: nil, cbGiftClear: nil, cbGiftConfirm: {argToken},

	cbDeskConfirm: {argID, argIndex}, cbDeskReady: {argID, argIndex}, cbDeskDelivered: {argID, argIndex},
	cbDeskCancel: {argID, argIndex}, cbDeskReason: {argID, argIndex, argIndex},
	cbDeskCancelYes: {argID, argIndex, argIndex}, cbDeskKeep: {argID, argIndex},
	cbStockPage: {argID, argPage},

	cbPayNow: {argID}, cbPaidAsk: {argID}, cbPaidMethod: {argID, argIndex}, cbRefundYes: {argID}, cbRefundNo: {argID},
	cbGiftEdit: {argIndex}, cbGiftBack: nil, cbGiftFix: {argID, argPage}, // a gift's quantity (≤ 999) fits a page's bound

	cbRevokeYes: {argID}, cbRevokeKeep: {argID},
	cbPriceSet: {argID, argID, argID}, cbPriceKeep: {argID}, // prices (≤ catalog.MaxPrice) fit an id's bound
	cbStockAdd: {argID, argIndex, argPage}, cbStockShow: {argID, argIndex, argPage}, cbStockStep: {argID, argPage, argIndex},
	cbSearchPage: {argID, argPage}, cbRestockOn: {argID}, cbRestockStop: {argID},
}

// maxCallbackData is Telegram's limit on callback_data, in bytes.
const maxCallbackData = 64

// callbackData is parsed callback data: its kind and its arguments.
type callbackData struct {
	Kind string
	Args []string
}

func parseCallback(s string) callbackData {
	if s == "" || len(s) > maxCallbackData {
		return callbackData{}
	}
	parts := strings.Split(s, ":")
	if len(parts) > 4 {
		return callbackData{}
	}
	return callbackData{Kind: parts[0], Args: parts[1:]}
}

// ID returns argument i as a positive id no larger than max; ok is false
// for anything else (missing, signed, padded, too big).
func (c callbackData) ID(i int, max int64) (int64, bool) {
	if i >= len(c.Args) {
		return 0, false
	}
	s := c.Args[i]
	if s == "" || len(s) > 19 || s[0] == '0' && s != "0" {
		return 0, false
	}
	for j := 0; j < len(s); j++ {
		if s[j] < '0' || s[j] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > max {
		return 0, false
	}
	return n, true
}

// Int is ID for small numbers such as pages and quantities.
func (c callbackData) Int(i int, max int) (int, bool) {
	n, ok := c.ID(i, int64(max))
	return int(n), ok
}

func cb(kind string, args ...int64) string {
	var sb strings.Builder
	sb.WriteString(kind)
	for _, a := range args {
		sb.WriteByte(':')
		sb.WriteString(strconv.FormatInt(a, 10))
	}
	return sb.String()
}

func cbVillagesData(page int) string          { return cb(cbVillages, int64(page)) }
func cbVillageData(id int64, page int) string { return cb(cbVillage, id, int64(page)) }
func cbCategoryData(idx, page int) string     { return cb(cbCategory, int64(idx), int64(page)) }
func cbProductData(id int64, qty int) string  { return cb(cbProduct, id, int64(qty)) }
func cbLanguageData(lang string) string       { return cbLanguage + ":" + lang }
