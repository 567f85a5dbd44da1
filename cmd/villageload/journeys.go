package main

import (
	"context"
	"errors"
	"strconv"
	"strings"
)

var errNotPlaced = errors.New("no order: the bot reported a shortage")

// The journeys simulated users make. Each step is one update; buttons are
// found on the screen the bot last showed, by their callback data's kind
// (see bot/callback.go, cart.go, checkout.go), so the users press what a
// person would see, never forged data.

// buttonNames name the steps of pressing a button, by its kind.
var buttonNames = map[string]string{
	"vl": "villages", "v": "village page", "p": "product card", "m": "menu",
	"cl": "categories", "c": "category", "s": "search prompt",
	"a": "add to cart", "k": "cart", "co": "checkout", "cd": "delivery", "cc": "confirm",
}

// searches are what browsing users look for, in the three languages; one
// finds nothing.
var searches = []string{"tea", "coffee", "coconut", "茶", "椰", "咖啡", "кофе", "мёд", "brocade", "honey", "pepper", "zzzz"}

// browse is a visitor looking around: the menu, a village and one of its
// products, a category and one of its products, then a search. 11 updates.
func browse(ctx context.Context, u *vuser) error {
	if err := u.send(ctx, "/start", "/start", buttonOf("vl")); err != nil {
		return err
	}
	for _, kind := range []string{"vl", "v", "p", "m", "cl", "c", "p", "m", "s"} {
		if err := u.press(ctx, kind); err != nil {
			return err
		}
	}
	if err := u.send(ctx, "search", searches[u.rng.IntN(len(searches))], buttonOf("s")); err != nil {
		return err
	}
	u.f.rec.completed("browse")
	return nil
}

// checkout is a visitor arriving from a booth's QR code: the deep link to
// a product, add, the cart, checkout with a typed name and phone, pickup,
// confirm. 8 updates for one order.
func checkout(skus []string) func(ctx context.Context, u *vuser) error {
	return func(ctx context.Context, u *vuser) error {
		sku := skus[u.rng.IntN(len(skus))]
		if err := u.send(ctx, "deep link", "/start p_"+sku, buttonOf("a")); err != nil {
			return err
		}
		for _, kind := range []string{"a", "k", "co"} {
			if err := u.press(ctx, kind); err != nil {
				return err
			}
		}
		if err := u.send(ctx, "name", "Guest "+strconv.FormatInt(u.id, 10), replyKeyboard); err != nil {
			return err
		}
		if err := u.send(ctx, "phone", "+86 138 0013 8000", buttonOf("cd")); err != nil {
			return err
		}
		if err := u.pressData(ctx, "cd:0"); err != nil { // pickup at the event booth
			return err
		}
		if err := u.press(ctx, "cc"); err != nil {
			return err
		}
		// The confirmation offers "my orders"; a shortage offers the cart.
		placed := u.screenHas("o")
		u.f.rec.order(placed)
		if !placed {
			return &stepError{"confirm", errNotPlaced}
		}
		u.f.rec.completed("checkout")
		return nil
	}
}

// mixed is 70% browsing and 30% buying.
func mixed(skus []string) func(ctx context.Context, u *vuser) error {
	buy := checkout(skus)
	return func(ctx context.Context, u *vuser) error {
		if u.rng.IntN(10) < 3 {
			return buy(ctx, u)
		}
		return browse(ctx, u)
	}
}

// echo is one message to the echo bot and its reply.
func echo(ctx context.Context, u *vuser) error {
	if err := u.send(ctx, "echo", "hello "+strconv.Itoa(u.rng.IntN(1_000_000)), anyMessage); err != nil {
		return err
	}
	u.f.rec.completed("echo")
	return nil
}

// fillCart is the -sessions phase: /start, then a product's deep link and
// "add": the user has a session with a cart. 3 updates.
func fillCart(skus []string) func(ctx context.Context, u *vuser) error {
	return func(ctx context.Context, u *vuser) error {
		if err := u.send(ctx, "/start", "/start", buttonOf("vl")); err != nil {
			return err
		}
		if err := u.send(ctx, "deep link", "/start p_"+skus[u.rng.IntN(len(skus))], buttonOf("a")); err != nil {
			return err
		}
		if err := u.press(ctx, "a"); err != nil {
			return err
		}
		u.f.rec.completed("cart filled")
		return nil
	}
}

// pressData presses the button with exactly this callback data.
func (u *vuser) pressData(ctx context.Context, data string) error {
	u.mu.Lock()
	scr := u.screen
	u.mu.Unlock()
	found := false
	for _, row := range scr.InlineKeyboard {
		for _, b := range row {
			found = found || b.CallbackData == data
		}
	}
	if !found {
		return &stepError{buttonNames[kindOf(data)], errNoButton}
	}
	return u.click(ctx, buttonNames[kindOf(data)], scr.ID, data)
}

// kindOf is the kind of callback data: what comes before the first ":".
func kindOf(data string) string {
	kind, _, _ := strings.Cut(data, ":")
	return kind
}
