package bot

import (
	"context"

	"villagebot/catalog"
)

// Handler handles one update.
type Handler func(ctx context.Context, r *Request) error

// Middleware wraps a Handler.
type Middleware func(Handler) Handler

// chain wraps h in middleware, the first outermost.
func chain(h Handler, mw ...Middleware) func(context.Context, *Request) {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return func(ctx context.Context, r *Request) { _ = h(ctx, r) }
}

// Router finds the handler of a request: a command by its exact name, a
// callback by its prefix, other text by the session's flow and step, and a
// default last.
type Router struct {
	commands  map[string]Handler
	callbacks map[string]Handler
	steps     map[string]Handler // "flow/step", or "flow/*" for every step
	contact   Handler            // a shared contact
	payment   Handler            // a successful_payment
	fallback  Handler
}

// routes lists everything the bot does.
func (b *Bot) routes() *Router {
	return &Router{
		commands: map[string]Handler{
			"start":    b.start,
			"menu":     b.menu,
			"help":     b.help,
			"language": b.language,
			"cancel":   b.cancel,
			"search":   b.searchCommand,
			"cart":     b.cart,
			"orders":   b.myOrders,

			"stock":      b.staffOnly(catalog.Coordinator, b.stock),
			"price":      b.staffOnly(catalog.Coordinator, b.price),
			"hide":       b.staffOnly(catalog.Coordinator, b.hide),
			"show":       b.staffOnly(catalog.Coordinator, b.showProductCmd),
			"photo":      b.staffOnly(catalog.Coordinator, b.photo),
			"newproduct": b.staffOnly(catalog.Coordinator, b.newProduct),
			"import":     b.staffOnly(catalog.Coordinator, b.importCmd),
			"pending":    b.staffOnly(catalog.Coordinator, b.pending),
			"ready":      b.staffOnly(catalog.Coordinator, b.ready),

			"gift":   b.staffOnly(catalog.Office, b.gift),
			"status": b.staffOnly(catalog.Office, b.status),
			"grant":  b.staffOnly(catalog.Office, b.grant),
			"revoke": b.staffOnly(catalog.Office, b.revoke),
			"qr":     b.staffOnly(catalog.Office, b.qr),
			"export": b.staffOnly(catalog.Office, b.export),
			"stats":  b.staffOnly(catalog.Office, b.stats),

			"paid":    b.staffOnly(catalog.Office, b.paid),
			"paytext": b.staffOnly(catalog.Office, b.payText),
		},
		callbacks: map[string]Handler{
			cbMenu:        b.menu,
			cbVillages:    b.villages,
			cbVillage:     b.village,
			cbCategories:  b.categories,
			cbCategory:    b.category,
			cbProduct:     b.product,
			cbSearch:      b.searchPrompt,
			cbLanguage:    b.setLanguage,
			cbHelp:        b.help,
			cbAdd:         b.addToCart,
			cbCart:        b.cart,
			cbCartQty:     b.cartQty,
			cbCheckout:    b.checkout,
			cbDelivery:    b.checkoutDelivery,
			cbConfirm:     b.confirm,
			cbAbort:       b.abort,
			cbMyOrders:    b.myOrders,
			cbCancelAsk:   b.cancelAsk,
			cbCancelOrder: b.cancelOrder,

			cbNewCategory: b.staffOnly(catalog.Coordinator, b.newProductCategory),
			cbNewGift:     b.staffOnly(catalog.Coordinator, b.newProductGift),
			cbNewCreate:   b.staffOnly(catalog.Coordinator, b.newProductCreate),
			cbGiftPick:    b.staffOnly(catalog.Office, b.giftPick),
			cbGiftNext:    b.staffOnly(catalog.Office, b.giftNext),
			cbGiftClear:   b.staffOnly(catalog.Office, b.giftClear),
			cbGiftConfirm: b.staffOnly(catalog.Office, b.giftConfirm),

			cbPayNow:     b.payNow,
			cbPaidAsk:    b.staffOnly(catalog.Office, b.paidAsk),
			cbPaidMethod: b.staffOnly(catalog.Office, b.paidMethod),
			cbRefundYes:  b.staffOnly(catalog.Office, b.refundYes),
			cbRefundNo:   b.staffOnly(catalog.Office, b.refundNo),
		},
		steps: map[string]Handler{
			"search/query":     b.search,
			"checkout/name":    b.checkoutName,
			"checkout/phone":   b.checkoutPhone,
			"checkout/address": b.checkoutAddress,
			"photo/wait":       b.staffOnly(catalog.Coordinator, b.photoStep),
			"import/wait":      b.staffOnly(catalog.Coordinator, b.importStep),
			"newproduct/*":     b.staffOnly(catalog.Coordinator, b.newProductStep),
			"gift/*":           b.staffOnly(catalog.Office, b.giftStep),
		},
		contact:  b.contact,
		payment:  b.successfulPayment,
		fallback: b.unknown,
	}
}

// Route dispatches r to its handler.
func (rt *Router) Route(ctx context.Context, r *Request) error {
	switch {
	case r.Callback != nil:
		if h, ok := rt.callbacks[r.Data.Kind]; ok {
			return h(ctx, r)
		}
		return errStale
	case r.Command != "":
		if h, ok := rt.commands[r.Command]; ok {
			return h(ctx, r)
		}
	case r.Message != nil && r.Message.Contact != nil && rt.contact != nil:
		return rt.contact(ctx, r)
	case r.Message != nil && r.Message.SuccessfulPayment != nil && rt.payment != nil:
		return rt.payment(ctx, r)
	case r.Session.Flow != "":
		if h, ok := rt.steps[r.Session.Flow+"/"+r.Session.Step]; ok {
			return h(ctx, r)
		}
		if h, ok := rt.steps[r.Session.Flow+"/*"]; ok {
			return h(ctx, r)
		}
	}
	return rt.fallback(ctx, r)
}
