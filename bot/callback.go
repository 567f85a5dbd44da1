package bot

import (
	"strconv"
	"strings"
)

// Callback data is short and typed: a prefix naming the kind, then ids,
// separated by ":" (e.g. "p:42:3"). It never carries prices, stock or
// anything else the bot must trust: handlers read those anew. Every kind
// has an encoder here; parsing checks the shape and bounds, and anything
// else is stale or forged.
const (
	cbMenu       = "m"  // m
	cbVillages   = "vl" // vl:<page>
	cbVillage    = "v"  // v:<village id>:<page>
	cbCategories = "cl" // cl
	cbCategory   = "c"  // c:<category index>:<page>
	cbProduct    = "p"  // p:<product id>:<quantity>
	cbSearch     = "s"  // s
	cbLanguage   = "l"  // l:<language code>
	cbHelp       = "h"  // h
)

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
