package bot

import (
	"context"
	"errors"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"villagebot/catalog"
)

// Search: /search, the menu's 🔍, or any text sent outside a flow. The
// catalog finds what was typed (catalog.SearchPage: typos, ё and е,
// traditional Chinese, regions, several words); the results show the
// villages found, then the products best first, a page at a time. The
// session keeps the last few queries (searchState) so that a page's
// buttons name a query by its number, within Telegram's 64 bytes.

// searchPerPage is how many products one page of results shows.
const searchPerPage = perPage

// keptSearches is how many recent queries the session keeps for the
// pager buttons of their results.
const keptSearches = 4

// searchState is the session's memory of the chat's recent searches: the
// last query is number Last, the one before Last-1, and so on.
type searchState struct {
	Last    int64    `json:"n"`
	Queries []string `json:"q"` // oldest first; the last is number Last
}

// rememberSearch keeps query as the newest search and returns its number.
func (s *Session) rememberSearch(query string) int64 {
	if s.Search == nil {
		s.Search = &searchState{}
	}
	st := s.Search
	if n := len(st.Queries); n > 0 && st.Queries[n-1] == query {
		return st.Last
	}
	st.Last++
	if st.Last >= maxID {
		st.Last = 1
	}
	st.Queries = append(st.Queries, query)
	if len(st.Queries) > keptSearches {
		st.Queries = slices.Clone(st.Queries[len(st.Queries)-keptSearches:])
	}
	return st.Last
}

// searchQuery is the query of search number n, if the session still
// keeps it.
func (s *Session) searchQuery(n int64) (string, bool) {
	if s.Search == nil {
		return "", false
	}
	st := s.Search
	i := len(st.Queries) - 1 - int(st.Last-n)
	if n > st.Last || i < 0 {
		return "", false
	}
	return st.Queries[i], true
}

func cbSearchPageData(n int64, page int) string { return cb(cbSearchPage, n, int64(page)) }

// searchPrompt asks for the word to look for; the next text is the query.
func (b *Bot) searchPrompt(ctx context.Context, r *Request) error {
	r.Session.Enter(flowSearch, stepQuery)
	return b.show(ctx, r, screen{text: b.msg.T(r.Lang, "search_prompt"), buttons: [][]tgbotapi.InlineKeyboardButton{b.menuRow(r.Lang)}})
}

// searchCommand is /search, with the query or without.
func (b *Bot) searchCommand(ctx context.Context, r *Request) error {
	if r.Args == "" {
		return b.searchPrompt(ctx, r)
	}
	return b.runSearch(ctx, r, r.Args)
}

// search takes the text sent after the prompt as the query. Text that
// cannot be a query is told so and the prompt stays: the next text is
// still the query.
func (b *Bot) search(ctx context.Context, r *Request) error {
	return b.runSearch(ctx, r, r.Text)
}

func (b *Bot) runSearch(ctx context.Context, r *Request, text string) error {
	query, bad := b.searchQueryOf(r.Lang, text)
	if bad != "" {
		return &usageError{bad}
	}
	found, err := b.showResults(ctx, r, query, r.Session.rememberSearch(query), 0)
	if err != nil || found {
		return err
	}
	return b.searchNothing(ctx, r, query)
}

// searchFreeText takes text sent outside any flow as a search. Nothing
// found is said so with the way on (villages, help, search, menu), and
// text that cannot be a query gets one clear line and the menu.
func (b *Bot) searchFreeText(ctx context.Context, r *Request) error {
	query, bad := b.searchQueryOf(r.Lang, r.Text)
	if bad != "" {
		return b.send(ctx, r, bad, [][]tgbotapi.InlineKeyboardButton{b.menuRow(r.Lang)})
	}
	found, err := b.showResults(ctx, r, query, r.Session.rememberSearch(query), 0)
	if err != nil || found {
		return err
	}
	if r.Session.restarted() {
		// Most likely an answer to a question of a flow the bot forgot.
		return b.send(ctx, r, b.msg.T(r.Lang, "session_lost"), b.menuButtons(r))
	}
	return b.searchNothing(ctx, r, query)
}

// searchQueryOf cleans text into a query (one space between words), or
// says in bad why it cannot be one.
func (b *Bot) searchQueryOf(lang, text string) (query, bad string) {
	query = strings.Join(strings.Fields(text), " ")
	switch {
	case query == "" || !utf8.ValidString(query):
		return "", b.msg.T(lang, "search_bad")
	case utf8.RuneCountInString(query) > catalog.MaxQueryRunes:
		return "", b.msg.T(lang, "search_too_long", "Max", catalog.MaxQueryRunes)
	case strings.IndexFunc(query, func(c rune) bool { return unicode.IsLetter(c) || unicode.IsNumber(c) }) < 0:
		return "", b.msg.T(lang, "search_no_words")
	}
	return query, ""
}

// searchPage is a press on a pager button of results ("sr:<search>:<page>").
func (b *Bot) searchPage(ctx context.Context, r *Request) error {
	n, ok1 := r.Data.ID(0, maxID)
	page, ok2 := r.Data.Int(1, maxPage)
	if !ok1 || !ok2 || len(r.Data.Args) != 2 {
		return errStale
	}
	query, ok := r.Session.searchQuery(n)
	if !ok {
		if r.Session.restarted() {
			return errSessionLost
		}
		// An old search the session no longer keeps: ask for a new one.
		r.Toast(b.msg.T(r.Lang, "search_gone"))
		return b.searchPrompt(ctx, r)
	}
	found, err := b.showResults(ctx, r, query, n, page)
	if err != nil || found {
		return err
	}
	return b.searchNothing(ctx, r, query) // the catalog changed since
}

// showResults shows page page of the results of query, search number n,
// and reports whether anything was found. A page past the last shows the
// last.
func (b *Bot) showResults(ctx context.Context, r *Request, query string, n int64, page int) (bool, error) {
	res, err := b.catalog.SearchPage(ctx, query, page*searchPerPage, searchPerPage)
	if err == nil && page > 0 && len(res.Products) == 0 && res.Total > 0 {
		page = (res.Total - 1) / searchPerPage
		res, err = b.catalog.SearchPage(ctx, query, page*searchPerPage, searchPerPage)
	}
	if errors.Is(err, catalog.ErrInvalid) {
		return false, &usageError{b.msg.T(r.Lang, "search_bad")}
	}
	if err != nil {
		return false, err
	}
	if len(res.Villages)+len(res.Products) == 0 {
		return false, nil
	}
	r.Session.Leave()
	var rows [][]tgbotapi.InlineKeyboardButton
	for _, v := range res.Villages {
		rows = append(rows, []tgbotapi.InlineKeyboardButton{button("🏡 "+truncateRunes(v.Name.Get(r.Lang), 60), cbVillageData(v.ID, 0))})
	}
	for _, p := range res.Products {
		rows = append(rows, []tgbotapi.InlineKeyboardButton{b.searchHitButton(r.Lang, p, n, page)})
	}
	pages := max(1, (res.Total+searchPerPage-1)/searchPerPage)
	rows = append(rows, b.pager(r.Lang, page, pages, func(p int) string { return cbSearchPageData(n, p) })...)
	rows = append(rows, []tgbotapi.InlineKeyboardButton{
		button(b.msg.T(r.Lang, "btn_search"), cbSearch),
		button(b.msg.T(r.Lang, "btn_menu"), cbMenu),
	})
	text := b.msg.T(r.Lang, "search_results", "Query", esc(query))
	if res.Total > 0 {
		text += "\n" + b.msg.N(r.Lang, "search_found", res.Total)
	}
	text += b.pageNote(r.Lang, page, pages)
	return true, b.show(ctx, r, screen{text: text, buttons: rows})
}

// searchHitButton is a product's button on page page of the results of
// search number n. Every product button of the results is made here, so
// that the one place changes when product buttons carry where they were
// pressed (for the card's Back).
func (b *Bot) searchHitButton(lang string, p catalog.Product, n int64, page int) tgbotapi.InlineKeyboardButton {
	return button(b.productLabel(lang, p), cbProductData(p.ID, 1))
}

// searchNothing says nothing was found for query, with the way on.
func (b *Bot) searchNothing(ctx context.Context, r *Request, query string) error {
	r.Session.Leave()
	return b.show(ctx, r, screen{text: b.msg.T(r.Lang, "search_nothing", "Query", esc(query)), buttons: [][]tgbotapi.InlineKeyboardButton{
		{button(b.msg.T(r.Lang, "btn_villages"), cbVillagesData(0)), button(b.msg.T(r.Lang, "btn_help"), cbHelp)},
		{button(b.msg.T(r.Lang, "btn_search"), cbSearch), button(b.msg.T(r.Lang, "btn_menu"), cbMenu)},
	}})
}
