package orders_test

import (
	"errors"
	"testing"

	"villagebot/orders"
)

func TestInternationalPhone(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"8613800138000", "+8613800138000"},        // a contact shared by Telegram
		{" 8613800138000 ", "+8613800138000"},      // with spaces around
		{"0086 138 0013 8000", "+8613800138000"},   // the international prefix
		{"86 (138) 0013-8000", "+8613800138000"},   // typed with separators
		{"+86 138 0013 8000", "+86 138 0013 8000"}, // already international: as written
		{"+8613800138000", "+8613800138000"},
		{"", ""},
	} {
		if got := orders.InternationalPhone(tc.in); got != tc.want {
			t.Errorf("InternationalPhone(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPlaceStoresASharedPhoneWithItsPlus(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tea := f.product(f.village("maona"), "MAONA-TEA", 10, 8800)
	req := sale("tok-shared-phone", visitor, line(tea, 1))
	req.Phone = "8613800138000"
	o := f.place(req)
	if o.Phone != "+8613800138000" {
		t.Errorf("Place() phone %q, want +8613800138000", o.Phone)
	}
	got, err := f.store.Get(f.ctx, o.Number)
	if err != nil || got.Phone != "+8613800138000" {
		t.Errorf("stored phone %q, %v; want +8613800138000", got.Phone, err)
	}
}

func TestByTokenRefusesTextPostgreSQLCannotHold(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, token := range []string{"tok\x00en", "tok\xffen", ""} {
		if _, err := f.store.ByToken(f.ctx, token); !errors.Is(err, orders.ErrInvalid) {
			t.Errorf("ByToken(%q) = %v, want ErrInvalid", token, err)
		}
	}
}
