package bot

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"villagebot/catalog"
	"villagebot/orders"
)

// maxExportBytes is what the bot may upload as one document (Telegram
// takes 50 MB).
const maxExportBytes = 49 << 20

// export is /export [gift|sale|all] [FROM [TO]] [xlsx|csv]: the orders
// spreadsheet (the README's "Order export") as a document; by default gift
// orders of the current month as xlsx.
func (b *Bot) export(ctx context.Context, r *Request, me catalog.Staff) error {
	kind, format := "gift", "xlsx"
	var dates []string
	for _, a := range strings.Fields(strings.ToLower(r.Args)) {
		switch a {
		case "gift", "sale", "all":
			kind = a
		case "xlsx", "csv":
			format = a
		default:
			dates = append(dates, a)
		}
	}
	from, to, ok := b.dateRange(dates)
	if !ok {
		return b.usage(r, "export")
	}
	f := orders.ExportFilter{Kind: kind, From: from, To: to}
	if err := f.Validate(); err != nil {
		return b.usage(r, "export")
	}
	var buf bytes.Buffer
	lines, err := b.orders.WriteExport(ctx, f, b.loc, format, &buf)
	if err != nil {
		return err
	}
	if buf.Len() > maxExportBytes {
		return refuse(b.msg.T(r.Lang, "export_too_large"))
	}
	name := orders.ExportFileName(f, format)
	doc := tgbotapi.NewDocument(r.ChatID, tgbotapi.FileBytes{Name: name, Bytes: buf.Bytes()})
	doc.Caption = b.msg.N(r.Lang, "export_caption", lines, "Name", esc(name))
	doc.ParseMode = tgbotapi.ModeHTML
	_, err = b.tg.Send(ctx, doc)
	return err
}

// dateRange reads FROM and TO (YYYY-MM-DD, in the office's time zone); no
// dates means the current month.
func (b *Bot) dateRange(dates []string) (from, to *time.Time, ok bool) {
	if len(dates) > 2 {
		return nil, nil, false
	}
	var ds []time.Time
	for _, s := range dates {
		d, err := time.ParseInLocation("2006-01-02", s, b.loc)
		if err != nil {
			return nil, nil, false
		}
		ds = append(ds, d)
	}
	switch len(ds) {
	case 0:
		now := time.Now().In(b.loc)
		first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, b.loc)
		last := first.AddDate(0, 1, -1)
		return &first, &last, true
	case 1:
		return &ds[0], nil, true
	}
	if ds[1].Before(ds[0]) {
		return nil, nil, false
	}
	return &ds[0], &ds[1], true
}

// stats is /stats [FROM [TO]]: per village orders, units and value, sale
// and gift, with totals; the current month by default.
func (b *Bot) stats(ctx context.Context, r *Request, me catalog.Staff) error {
	from, to, ok := b.dateRange(strings.Fields(r.Args))
	if !ok {
		return b.usage(r, "stats")
	}
	st, err := b.orders.Stats(ctx, from, to, b.loc)
	if err != nil {
		return err
	}
	span := b.msg.T(r.Lang, "stats_all_time")
	switch {
	case from != nil && to != nil:
		span = from.Format("2006-01-02") + " — " + to.Format("2006-01-02")
	case from != nil:
		span = from.Format("2006-01-02") + " —"
	}
	var sb strings.Builder
	sb.WriteString(b.msg.T(r.Lang, "stats_title", "Span", span) + "\n")
	if len(st.Villages) == 0 {
		sb.WriteString("\n" + b.msg.T(r.Lang, "stats_none"))
		return b.send(ctx, r, sb.String(), nil)
	}
	line := func(v orders.VillageStats) string {
		return b.msg.T(r.Lang, "stats_line",
			"SaleOrders", v.SaleOrders, "SaleUnits", v.SaleUnits, "SaleValue", money(r.Lang, v.SaleValue),
			"GiftOrders", v.GiftOrders, "GiftUnits", v.GiftUnits, "GiftValue", money(r.Lang, v.GiftValue))
	}
	for _, v := range st.Villages {
		block := fmt.Sprintf("\n🏡 <b>%s</b>\n%s\n", esc(v.Name.Get(r.Lang)), line(v))
		if plainLen(sb.String()+block) > maxText-400 {
			break
		}
		sb.WriteString(block)
	}
	sb.WriteString("\n<b>" + b.msg.T(r.Lang, "stats_total") + "</b>\n" + line(st.Total) + "\n" +
		b.msg.T(r.Lang, "stats_value", "Value", money(r.Lang, st.Total.Value())))
	pay, err := b.paymentStatsText(ctx, r.Lang, from, to)
	if err != nil {
		return err
	}
	sb.WriteString("\n" + pay)
	return b.send(ctx, r, sb.String(), nil)
}
