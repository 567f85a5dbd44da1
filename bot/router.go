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

// commandMenu names the command menu a command is listed in.
type commandMenu int

const (
	unlisted        commandMenu = iota // in no menu
	visitorMenu                        // everyone's
	coordinatorMenu                    // coordinators' and office staff's
	officeMenu                         // office staff's
)

// command is a command's route: its name (without the slash), the menu
// that lists it and its handler.
type command struct {
	name string
	menu commandMenu
	h    Handler
}

// flowStep is where a flow stands: the key of a step's route.
type flowStep struct {
	flow Flow
	step Step
}

// Router finds the handler of a request: a command by its exact name, a
// callback by its prefix, other text by the session's flow and step, and a
// default last.
type Router struct {
	commands  []command // in the order the menus list them
	byName    map[string]Handler
	callbacks map[string]Handler
	steps     map[flowStep]Handler
	contact   Handler // a shared contact
	fallback  Handler
}

// routes lists everything the bot does.
func (b *Bot) routes() *Router {
	coordinator := func(name string, h staffHandler) command {
		return command{name, coordinatorMenu, b.staffOnly(catalog.Coordinator, h)}
	}
	office := func(name string, h staffHandler) command {
		return command{name, officeMenu, b.staffOnly(catalog.Office, h)}
	}
	asCoordinator := func(h staffHandler) Handler { return b.staffOnly(catalog.Coordinator, h) }
	asOffice := func(h staffHandler) Handler { return b.staffOnly(catalog.Office, h) }
	rt := &Router{
		commands: []command{
			{"start", visitorMenu, b.start},
			{"search", visitorMenu, b.searchCommand},
			{"cart", visitorMenu, b.cart},
			{"orders", visitorMenu, b.myOrders},
			{"language", visitorMenu, b.language},
			{"help", visitorMenu, b.help},
			{"cancel", visitorMenu, b.cancel},
			{"menu", unlisted, b.menu},

			coordinator("stock", b.stock),
			coordinator("price", b.price),
			coordinator("hide", b.hide),
			coordinator("show", b.showProductCmd),
			coordinator("photo", b.photo),
			coordinator("newproduct", b.newProduct),
			coordinator("import", b.importCmd),
			coordinator("pending", b.pending),
			coordinator("ready", b.ready),

			office("gift", b.gift),
			office("status", b.status),
			office("export", b.export),
			office("stats", b.stats),
			office("qr", b.qr),
			office("grant", b.grant),
			office("revoke", b.revoke),
			office("staff", b.staffList),
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

			cbNewVillage:  asCoordinator(b.newProductVillagePick),
			cbNewCategory: asCoordinator(b.newProductCategory),
			cbNewGift:     asCoordinator(b.newProductGift),
			cbNewCreate:   asCoordinator(b.newProductCreate),
			cbGiftPick:    asOffice(b.giftPick),
			cbGiftNext:    asOffice(b.giftNext),
			cbGiftClear:   asOffice(b.giftClear),
			cbGiftConfirm: asOffice(b.giftConfirm),
			cbGiftEdit:    asOffice(b.giftEdit),
			cbGiftBack:    asOffice(b.giftBack),
			cbGiftFix:     asOffice(b.giftFix),
		},
		// Every step that takes a text (or a photo, a document). A step
		// that waits for a button press and is not listed gets the
		// default.
		steps: map[flowStep]Handler{
			{flowSearch, stepQuery}: b.search,

			{flowCheckout, stepName}:    b.checkoutName,
			{flowCheckout, stepPhone}:   b.checkoutPhone,
			{flowCheckout, stepAddress}: b.checkoutAddress,

			{flowPhoto, stepWait}:  asCoordinator(b.photoStep),
			{flowImport, stepWait}: asCoordinator(b.importStep),

			{flowNewProduct, stepVillage}:  asCoordinator(b.newProductVillage),
			{flowNewProduct, stepSKU}:      asCoordinator(b.newProductSKU),
			{flowNewProduct, stepCategory}: asCoordinator(b.useButtons),
			{flowNewProduct, stepName}:     asCoordinator(b.newProductName),
			{flowNewProduct, stepUnit}:     asCoordinator(b.newProductUnit),
			{flowNewProduct, stepPrice}:    asCoordinator(b.newProductPrice),
			{flowNewProduct, stepStock}:    asCoordinator(b.newProductStock),
			{flowNewProduct, stepGiftMark}: asCoordinator(b.useButtons),
			{flowNewProduct, stepStory}:    asCoordinator(b.newProductStory),
			{flowNewProduct, stepConfirm}:  asCoordinator(b.useButtons),

			{flowGift, stepProducts}:  asOffice(b.useButtons),
			{flowGift, stepQty}:       asOffice(b.giftQty),
			{flowGift, stepOccasion}:  asOffice(b.giftOccasion),
			{flowGift, stepRecipient}: asOffice(b.giftRecipient),
			{flowGift, stepCountry}:   asOffice(b.giftCountry),
			{flowGift, stepDate}:      asOffice(b.giftDate),
			{flowGift, stepNotes}:     asOffice(b.giftNotes),
			{flowGift, stepConfirm}:   asOffice(b.useButtons),
		},
		contact:  b.contact,
		fallback: b.unknown,
	}
	rt.byName = make(map[string]Handler, len(rt.commands))
	for _, c := range rt.commands {
		rt.byName[c.name] = c.h
	}
	return rt
}

// menuCommands are the names of the commands the menus list, in order.
func (rt *Router) menuCommands(menus ...commandMenu) []string {
	var names []string
	for _, c := range rt.commands {
		for _, m := range menus {
			if c.menu == m {
				names = append(names, c.name)
			}
		}
	}
	return names
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
		if h, ok := rt.byName[r.Command]; ok {
			return h(ctx, r)
		}
	case r.Message != nil && r.Message.Contact != nil && rt.contact != nil:
		return rt.contact(ctx, r)
	case r.Session.Flow != "":
		if h, ok := rt.steps[flowStep{r.Session.Flow, r.Session.Step}]; ok {
			return h(ctx, r)
		}
	}
	return rt.fallback(ctx, r)
}
