package console

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"villagebot/catalog"
	"villagebot/internal/qrcard"
	"villagebot/orders"
)

// bar is one bar of a chart drawn server-side as SVG: a label, the sale
// and gift parts (as widths in the chart's units) and their values.
type bar struct {
	Label           string
	Sale, Gift      float64 // widths, 0–100
	SaleV, GiftV    catalog.Money
	SaleOrders, All int
}

// chart scales values to bars of at most 100 units.
func chart(labels []string, sale, gift []catalog.Money, counts []int) []bar {
	var top catalog.Money
	for i := range labels {
		top = max(top, sale[i]+gift[i])
	}
	bars := make([]bar, len(labels))
	for i, l := range labels {
		b := bar{Label: l, SaleV: sale[i], GiftV: gift[i], All: counts[i]}
		if top > 0 {
			b.Sale = float64(sale[i]) * 100 / float64(top)
			b.Gift = float64(gift[i]) * 100 / float64(top)
		}
		bars[i] = b
	}
	return bars
}

// statsPage is /stats with charts: value per village (sale and gift) in
// the chosen range, and per month over the last six months.
func (s *Server) statsPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	ctx := r.Context()
	q := r.URL.Query()
	from, err := parseDay(q.Get("from"))
	if err != nil {
		return refuse(http.StatusBadRequest, c.T("console_bad_date", "Value", q.Get("from")))
	}
	to, err := parseDay(q.Get("to"))
	if err != nil {
		return refuse(http.StatusBadRequest, c.T("console_bad_date", "Value", q.Get("to")))
	}
	st, err := s.opt.Orders.Stats(ctx, from, to, s.opt.Location)
	if errors.Is(err, orders.ErrInvalid) {
		return refuse(http.StatusBadRequest, c.T("console_bad_filter"))
	}
	if err != nil {
		return err
	}
	villages, err := s.opt.Catalog.Villages(ctx)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, v := range villages {
		names[v.Code] = v.Name.Get(c.Lang)
	}
	var labels []string
	var sale, gift []catalog.Money
	var counts []int
	for _, v := range st.Villages {
		labels = append(labels, names[v.Code])
		sale, gift, counts = append(sale, v.SaleValue), append(gift, v.GiftValue), append(counts, v.Orders())
	}
	perVillage := chart(labels, sale, gift, counts)

	// The last six months, oldest first.
	now := s.opt.Now().In(s.opt.Location)
	labels, sale, gift, counts = nil, nil, nil, nil
	for i := 5; i >= 0; i-- {
		first := time.Date(now.Year(), now.Month()-time.Month(i), 1, 0, 0, 0, 0, time.UTC)
		last := first.AddDate(0, 1, -1)
		m, err := s.opt.Orders.Stats(ctx, &first, &last, s.opt.Location)
		if err != nil {
			return err
		}
		labels = append(labels, first.Format("2006-01"))
		sale, gift, counts = append(sale, m.Total.SaleValue), append(gift, m.Total.GiftValue), append(counts, m.Total.Orders())
	}
	s.render(w, c, http.StatusOK, "stats", map[string]any{
		"Stats": st, "Names": names, "PerVillage": perVillage, "PerMonth": chart(labels, sale, gift, counts),
		"From": q.Get("from"), "To": q.Get("to"),
	})
	return nil
}

// qrPage lists the villages and products with their printable cards.
func (s *Server) qrPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	villages, err := s.opt.Catalog.Villages(r.Context())
	if err != nil {
		return err
	}
	products, err := s.opt.Catalog.Products(r.Context())
	if err != nil {
		return err
	}
	s.render(w, c, http.StatusOK, "qr", map[string]any{"Villages": villages, "Products": products, "Bot": s.opt.BotUsername()})
	return nil
}

// qrCard is the PNG of /qr for a SKU or a village code: the same card.
func (s *Server) qrCard(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	code := strings.TrimSuffix(r.PathValue("code"), ".png")
	bot := s.opt.BotUsername()
	if bot == "" {
		return refuse(http.StatusServiceUnavailable, c.T("console_qr_nobot"))
	}
	var payload string
	var lines []string
	if p, err := s.opt.Catalog.ProductBySKU(r.Context(), code); err == nil {
		payload, lines = "p_"+p.SKU, qrcard.NameLines(p.Name, p.SKU)
	} else if !errors.Is(err, catalog.ErrNotFound) {
		return err
	} else if v, err := s.opt.Catalog.VillageByCode(r.Context(), strings.ToLower(code)); err == nil {
		payload, lines = "v_"+v.Code, qrcard.NameLines(v.Name, v.Code)
	} else if errors.Is(err, catalog.ErrNotFound) {
		return refuse(http.StatusNotFound, c.T("console_no_product", "SKU", code))
	} else {
		return err
	}
	png, err := qrcard.Render("https://t.me/"+bot+"?start="+payload, lines)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Disposition", `inline; filename="qr-`+payload+`.png"`)
	_, err = w.Write(png)
	return err
}
