package bot

import (
	"context"
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
	steps     map[string]Handler // "flow/step"
	contact   Handler            // a shared contact
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
		},
		steps: map[string]Handler{
			"search/query":     b.search,
			"checkout/name":    b.checkoutName,
			"checkout/phone":   b.checkoutPhone,
			"checkout/address": b.checkoutAddress,
		},
		contact:  b.contact,
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
	case r.Session.Flow != "":
		if h, ok := rt.steps[r.Session.Flow+"/"+r.Session.Step]; ok {
			return h(ctx, r)
		}
	}
	return rt.fallback(ctx, r)
}
