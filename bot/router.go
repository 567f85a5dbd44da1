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
	group     Handler // anything in a group chat
	payment   Handler // a successful_payment
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
			coordinator("console", b.consoleLink),

			office("gift", b.gift),
			office("status", b.status),
			office("export", b.export),
			office("stats", b.stats),
			office("qr", b.qr),
			office("grant", b.grant),
			office("revoke", b.revoke),
			office("alerts", b.alerts),
			office("paid", b.paid),
			office("paytext", b.payText),
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
			cbStockPage:   asCoordinator(b.stockPage),
			cbGiftPick:    asOffice(b.giftPick),
			cbGiftNext:    asOffice(b.giftNext),
			cbGiftClear:   asOffice(b.giftClear),
			cbGiftConfirm: asOffice(b.giftConfirm),

			// The order desk (orderdesk*.go): each press checks the role anew.
			cbDeskConfirm:   b.deskOnly(catalog.Office, b.deskConfirm),
			cbDeskReady:     b.deskOnly(catalog.Coordinator, b.deskReady),
			cbDeskDelivered: b.deskOnly(catalog.Office, b.deskDelivered),
			cbDeskCancel:    b.deskOnly(catalog.Office, b.deskCancel),
			cbDeskReason:    b.deskOnly(catalog.Office, b.deskReason),
			cbDeskCancelYes: b.deskOnly(catalog.Office, b.deskCancelYes),
			cbDeskKeep:      b.deskOnly(catalog.Office, b.deskKeep),

			cbPayNow:     b.payNow,
			cbPaidAsk:    asOffice(b.paidAsk),
			cbPaidMethod: asOffice(b.paidMethod),
			cbRefundYes:  asOffice(b.refundYes),
			cbRefundNo:   asOffice(b.refundNo),
			cbGiftEdit:   asOffice(b.giftEdit),
			cbGiftBack:   asOffice(b.giftBack),
			cbGiftFix:    asOffice(b.giftFix),

			// Confirmations and /stock buttons: the role (and village) is
			// checked at the press.
			cbRevokeYes:   b.deskOnly(catalog.Office, b.revokeYes),
			cbRevokeKeep:  b.deskOnly(catalog.Office, b.revokeKeep),
			cbPriceSet:    b.deskOnly(catalog.Coordinator, b.priceSet),
			cbPriceKeep:   b.deskOnly(catalog.Coordinator, b.priceKeep),
			cbStockAdd:    b.deskOnly(catalog.Coordinator, b.stockAdd),
			cbStockShow:   b.deskOnly(catalog.Coordinator, b.stockShow),
			cbStockStep:   b.deskOnly(catalog.Coordinator, b.stockStep),
			cbSearchPage:  b.searchPage,
			cbRestockOn:   b.restockOn,
			cbRestockStop: b.restockStop,
		},
		// Every step of every flow. Text sent at a step that waits for a
		// button press asks that step again, with its buttons — never the
		// main menu while a flow is open.
		steps: map[flowStep]Handler{
			{flowSearch, stepQuery}: b.search,

			{flowCheckout, stepName}:     b.checkoutName,
			{flowCheckout, stepPhone}:    b.checkoutPhone,
			{flowCheckout, stepDelivery}: b.askDelivery,
			{flowCheckout, stepAddress}:  b.checkoutAddress,
			{flowCheckout, stepConfirm}:  b.summary,

			{flowPhoto, stepWait}:  asCoordinator(b.photoStep),
			{flowImport, stepWait}: asCoordinator(b.importStep),

			{flowNewProduct, stepVillage}:  asCoordinator(b.newProductVillage),
			{flowNewProduct, stepSKU}:      asCoordinator(b.newProductSKU),
			{flowNewProduct, stepCategory}: asCoordinator(b.askCategory),
			{flowNewProduct, stepName}:     asCoordinator(b.newProductName),
			{flowNewProduct, stepUnit}:     asCoordinator(b.newProductUnit),
			{flowNewProduct, stepPrice}:    asCoordinator(b.newProductPrice),
			{flowNewProduct, stepStock}:    asCoordinator(b.newProductStock),
			{flowNewProduct, stepGiftMark}: asCoordinator(b.askGiftMark),
			{flowNewProduct, stepStory}:    asCoordinator(b.newProductStory),
			{flowNewProduct, stepConfirm}:  asCoordinator(staffStep(b.newProductSummary)),

			{flowGift, stepProducts}:  asOffice(staffStep(b.giftProducts)),
			{flowGift, stepQty}:       asOffice(b.giftQty),
			{flowGift, stepOccasion}:  asOffice(b.giftOccasion),
			{flowGift, stepRecipient}: asOffice(b.giftRecipient),
			{flowGift, stepCountry}:   asOffice(b.giftCountry),
			{flowGift, stepDate}:      asOffice(b.giftDate),
			{flowGift, stepNotes}:     asOffice(b.giftNotes),
			{flowGift, stepConfirm}:   asOffice(staffStep(b.giftSummaryAgain)),

			{flowDesk, stepReason}: asOffice(b.deskReasonText),
		},
		contact:  b.contact,
		group:    b.inGroup,
		payment:  b.successfulPayment,
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

// command finds a command's route by name.
func (rt *Router) command(name string) (command, bool) {
	for _, c := range rt.commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// Route dispatches r to its handler.
func (rt *Router) Route(ctx context.Context, r *Request) error {
	switch {
	case r.Group:
		return rt.group(ctx, r)
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
	case r.Message != nil && r.Message.SuccessfulPayment != nil && rt.payment != nil:
		return rt.payment(ctx, r)
	case r.Session.Flow != "":
		if h, ok := rt.steps[flowStep{r.Session.Flow, r.Session.Step}]; ok {
			return h(ctx, r)
		}
	}
	return rt.fallback(ctx, r)
}

// staffStep is a step that shows its screen again, for staff, whatever
// text came: the step waits for a button press.
func staffStep(show func(ctx context.Context, r *Request) error) staffHandler {
	return func(ctx context.Context, r *Request, me catalog.Staff) error { return show(ctx, r) }
}
