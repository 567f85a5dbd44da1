package catalog

import (
	"errors"
	"strconv"
	"strings"
)

// Money is an amount in fen (1 yuan = 100 fen). It is never a float.
type Money int64

// MaxPrice is the highest price a product may have: 1,000,000 yuan.
const MaxPrice Money = 1_000_000_00

// ErrBadMoney is returned for an amount that is not a yuan figure with at
// most two decimals.
var ErrBadMoney = errors.New("not an amount in yuan with at most two decimals")

// ParseYuan parses "88", "88.5" or "88.00" (one leading "¥" or "￥" and
// surrounding spaces allowed) into fen. Negative amounts, exponents,
// thousands separators and more than two decimals are refused, as are
// amounts that do not fit.
func ParseYuan(s string) (Money, error) {
	s = strings.TrimSpace(s)
	if t, ok := strings.CutPrefix(s, "¥"); ok {
		s = strings.TrimSpace(t)
	} else if t, ok := strings.CutPrefix(s, "￥"); ok {
		s = strings.TrimSpace(t)
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || len(whole) > 12 || !digits(whole) {
		return 0, ErrBadMoney
	}
	if hasDot && (frac == "" || len(frac) > 2 || !digits(frac)) {
		return 0, ErrBadMoney
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, ErrBadMoney
	}
	for len(frac) < 2 {
		frac += "0"
	}
	f, _ := strconv.ParseInt(frac, 10, 64)
	return Money(w*100 + f), nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String formats the amount in yuan with two decimals, e.g. "88.00".
func (m Money) String() string {
	neg := m < 0
	if neg {
		m = -m
	}
	s := strconv.FormatInt(int64(m/100), 10) + "." + pad2(int64(m%100))
	if neg {
		return "-" + s
	}
	return s
}

func pad2(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}
