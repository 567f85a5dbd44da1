package bot

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"villagebot/catalog"
)

// maxResults bounds the buttons a search answers with.
const maxResults = 20

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

// search takes the text sent after the prompt as the query.
func (b *Bot) search(ctx context.Context, r *Request) error {
	return b.runSearch(ctx, r, r.Text)
}

func (b *Bot) runSearch(ctx context.Context, r *Request, query string) error {
	query = strings.Join(strings.Fields(query), " ")
	if query == "" || utf8.RuneCountInString(query) > 100 || !utf8.ValidString(query) {
		return &usageError{b.msg.T(r.Lang, "search_bad")}
	}
	res, err := b.catalog.Search(ctx, query, maxResults)
	if errors.Is(err, catalog.ErrInvalid) {
		return &usageError{b.msg.T(r.Lang, "search_bad")}
	}
	if err != nil {
		return err
	}
	r.Session.Leave()
	again := []tgbotapi.InlineKeyboardButton{
		button(b.msg.T(r.Lang, "btn_search"), cbSearch),
		button(b.msg.T(r.Lang, "btn_menu"), cbMenu),
	}
	if len(res.Villages)+len(res.Products) == 0 {
		return b.send(ctx, r, b.msg.T(r.Lang, "search_nothing", "Query", esc(query)), [][]tgbotapi.InlineKeyboardButton{
			{button(b.msg.T(r.Lang, "btn_villages"), cbVillagesData(0))}, again,
		})
	}
	var rows [][]tgbotapi.InlineKeyboardButton
	for _, v := range res.Villages {
		rows = append(rows, []tgbotapi.InlineKeyboardButton{button("🏡 "+truncateRunes(v.Name.Get(r.Lang), 60), cbVillageData(v.ID, 0))})
	}
	for _, p := range res.Products {
		rows = append(rows, []tgbotapi.InlineKeyboardButton{button(b.productLabel(r.Lang, p), cbProductData(p.ID, 1))})
	}
	if len(rows) > maxResults {
		rows = rows[:maxResults]
	}
	rows = append(rows, again)
	return b.send(ctx, r, b.msg.T(r.Lang, "search_results", "Query", esc(query)), rows)
}
