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
// most two decimals; the error is a *MoneyError saying what was wrong.
var ErrBadMoney = errors.New("not an amount in yuan with at most two decimals")

// MoneyProblem says what is wrong with an amount that was refused.
type MoneyProblem string

// The problems an amount can have.
const (
	MoneyEmpty       MoneyProblem = "empty"        // nothing but a currency sign or spaces
	MoneyNegative    MoneyProblem = "negative"     // a minus sign
	MoneyNotANumber  MoneyProblem = "not_a_number" // letters, signs, exponents, stray dots
	MoneyDecimals    MoneyProblem = "decimals"     // more than two decimals
	MoneyGrouping    MoneyProblem = "grouping"     // thousands separators out of place
	MoneyTooLarge    MoneyProblem = "too_large"    // beyond what a price may be
	MoneyTwoCurrency MoneyProblem = "currency"     // more than one currency mark
)

// MoneyError is an amount refused, with the reason.
type MoneyError struct {
	Problem MoneyProblem
}

func (e *MoneyError) Error() string {
	return ErrBadMoney.Error() + ": " + string(e.Problem)
}

// Unwrap makes every MoneyError an ErrBadMoney.
func (e *MoneyError) Unwrap() error { return ErrBadMoney }

func badMoney(p MoneyProblem) (Money, error) { return 0, &MoneyError{Problem: p} }

// fullWidth maps the full-width forms a Chinese keyboard types to ASCII:
// digits, the dot and the comma (both the full-width and the ideographic
// one), and the ideographic space.
var fullWidth = strings.NewReplacer(
	"０", "0", "１", "1", "２", "2", "３", "3", "４", "4",
	"５", "5", "６", "6", "７", "7", "８", "8", "９", "9",
	"．", ".", "，", ",", "、", ",", "\u3000", " ",
)

// ParseYuan parses an amount in yuan into fen: "88", "88.5", "88.00",
// with one currency mark — a leading "¥" or "￥", or a trailing "元" —
// full-width digits ("１５８") and thousands separators in their places
// ("1,280.00"). Negative amounts, exponents, more than two decimals and
// amounts of more than twelve whole digits are refused, each with a
// *MoneyError naming the problem.
func ParseYuan(s string) (Money, error) {
	s = strings.TrimSpace(fullWidth.Replace(s))
	marks := 0
	for _, sign := range []string{"¥", "￥"} {
		if t, ok := strings.CutPrefix(s, sign); ok {
			s, marks = strings.TrimSpace(t), marks+1
		}
	}
	if t, ok := strings.CutSuffix(s, "元"); ok {
		s, marks = strings.TrimSpace(t), marks+1
	}
	switch {
	case marks > 1 || strings.ContainsAny(s, "¥￥元"):
		return badMoney(MoneyTwoCurrency)
	case s == "":
		return badMoney(MoneyEmpty)
	case strings.HasPrefix(s, "-"):
		return badMoney(MoneyNegative)
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if strings.Contains(whole, ",") {
		var ok bool
		if whole, ok = ungroup(whole); !ok {
			return badMoney(MoneyGrouping)
		}
	}
	if whole == "" || !digits(whole) || hasDot && (frac == "" || !digits(frac)) {
		return badMoney(MoneyNotANumber)
	}
	if len(frac) > 2 {
		return badMoney(MoneyDecimals)
	}
	if len(whole) > 12 {
		return badMoney(MoneyTooLarge)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return badMoney(MoneyTooLarge)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	f, _ := strconv.ParseInt(frac, 10, 64)
	return Money(w*100 + f), nil
}

// ParsePrice is ParseYuan for a product's price: at most MaxPrice.
func ParsePrice(s string) (Money, error) {
	m, err := ParseYuan(s)
	if err == nil && m > MaxPrice {
		return badMoney(MoneyTooLarge)
	}
	return m, err
}

// ungroup removes the thousands separators of whole: a first group of one
// to three digits, then groups of exactly three ("1,280", "12,345,678").
func ungroup(whole string) (string, bool) {
	groups := strings.Split(whole, ",")
	if n := len(groups[0]); n == 0 || n > 3 || !digits(groups[0]) {
		return "", false
	}
	for _, g := range groups[1:] {
		if len(g) != 3 || !digits(g) {
			return "", false
		}
	}
	return strings.Join(groups, ""), true
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
