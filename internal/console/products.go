package console

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"villagebot/catalog"
)

// productsHome sends a coordinator to their village's products and
// office staff to the first village's.
func (s *Server) productsHome(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if c.Me.Role == catalog.Coordinator {
		return redirect(w, r, "/villages/"+c.Me.VillageCode+"/products")
	}
	vs, err := s.opt.Catalog.Villages(r.Context())
	if err != nil {
		return err
	}
	if len(vs) == 0 {
		return refuse(http.StatusNotFound, c.T("console_no_villages"))
	}
	return redirect(w, r, "/villages/"+vs[0].Code+"/products")
}

// productsPage is a village's products: stock, price and visibility
// editable in place, names and stories in every language side by side.
func (s *Server) productsPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	v, err := s.village(r, c, r.PathValue("code"))
	if err != nil {
		return err
	}
	ps, err := s.opt.Catalog.ProductsByVillage(r.Context(), v.ID, false)
	if err != nil {
		return err
	}
	var villages []catalog.Village
	if c.Me.Role == catalog.Office {
		if villages, err = s.opt.Catalog.Villages(r.Context()); err != nil {
			return err
		}
	}
	s.render(w, c, http.StatusOK, "products", map[string]any{
		"Village": v, "Products": ps, "Villages": villages, "Done": r.URL.Query().Get("done"),
	})
	return nil
}

// product reads the product a path names and checks that it is of the
// village the path names, which c.Me may manage.
func (s *Server) product(r *http.Request, c *reqCtx) (catalog.Product, error) {
	v, err := s.village(r, c, r.PathValue("code"))
	if err != nil {
		return catalog.Product{}, err
	}
	p, err := s.opt.Catalog.ProductBySKU(r.Context(), r.PathValue("sku"))
	if errors.Is(err, catalog.ErrNotFound) || err == nil && p.VillageID != v.ID {
		return catalog.Product{}, refuse(http.StatusNotFound, c.T("console_no_product", "SKU", r.PathValue("sku")))
	}
	return p, err
}

// changed sends the browser back to the product's row.
func changed(w http.ResponseWriter, r *http.Request, p catalog.Product) error {
	return redirect(w, r, "/villages/"+r.PathValue("code")+"/products?done="+p.SKU+"#p-"+p.SKU)
}

// productStock is the stock form: "set" a number, or a "delta" such as
// +5 or -1, as /stock SKU N, +N, -N.
func (s *Server) productStock(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	p, err := s.product(r, c)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if d := strings.TrimSpace(r.PostFormValue("delta")); d != "" {
		n, perr := strconv.Atoi(strings.TrimPrefix(d, "+"))
		if perr != nil || n == 0 {
			return refuse(http.StatusBadRequest, c.T("console_bad_stock", "Value", d))
		}
		p, err = s.opt.Catalog.AdjustStock(ctx, p.SKU, n, c.Me.Actor())
	} else {
		v := strings.TrimSpace(r.PostFormValue("set"))
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 0 {
			return refuse(http.StatusBadRequest, c.T("console_bad_stock", "Value", v))
		}
		p, err = s.opt.Catalog.SetStock(ctx, p.SKU, n, c.Me.Actor())
	}
	switch {
	case errors.Is(err, catalog.ErrStockBelowZero):
		return refuse(http.StatusBadRequest, c.T("console_stock_below_zero"))
	case errors.Is(err, catalog.ErrInvalid):
		return refuse(http.StatusBadRequest, c.T("console_bad_stock", "Value", r.PostFormValue("set")+r.PostFormValue("delta")))
	case err != nil:
		return err
	}
	return changed(w, r, p)
}

// productPrice sets the price in yuan, as /price.
func (s *Server) productPrice(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	p, err := s.product(r, c)
	if err != nil {
		return err
	}
	v := strings.TrimSpace(r.PostFormValue("price"))
	price, err := catalog.ParseYuan(v)
	if err != nil {
		return refuse(http.StatusBadRequest, c.T("console_bad_price", "Value", v))
	}
	p, err = s.opt.Catalog.SetPrice(r.Context(), p.SKU, price, c.Me.Actor())
	if errors.Is(err, catalog.ErrInvalid) {
		return refuse(http.StatusBadRequest, c.T("console_bad_price", "Value", v))
	}
	if err != nil {
		return err
	}
	return changed(w, r, p)
}

// productVisible hides or shows a product, as /hide and /show.
func (s *Server) productVisible(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	p, err := s.product(r, c)
	if err != nil {
		return err
	}
	var visible bool
	switch r.PostFormValue("visible") {
	case "true":
		visible = true
	case "false":
	default:
		return refuse(http.StatusBadRequest, c.T("console_bad_filter"))
	}
	if p, err = s.opt.Catalog.SetVisible(r.Context(), p.SKU, visible, c.Me.Actor()); err != nil {
		return err
	}
	return changed(w, r, p)
}

// productPhoto keeps an uploaded JPEG or PNG as the product's photo. The
// console serves it at /photos/ID, which becomes the product's photo_url:
// the bot shows it from there, Telegram fetching it by URL (CONSOLE_URL
// must then be reachable from the internet).
func (s *Server) productPhoto(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	p, err := s.product(r, c)
	if err != nil {
		return err
	}
	f, _, err := r.FormFile("photo")
	if err != nil {
		return refuse(http.StatusBadRequest, c.T("console_import_nofile"))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, catalog.MaxPhotoBytes+1))
	if err != nil {
		return err
	}
	url := func(id int64) string { return s.opt.BaseURL + "/photos/" + strconv.FormatInt(id, 10) }
	p, err = s.opt.Catalog.SavePhoto(r.Context(), p.SKU, data, url, c.Me.Actor())
	if errors.Is(err, catalog.ErrInvalid) {
		return refuse(http.StatusBadRequest, c.T("console_bad_photo"))
	}
	if err != nil {
		return err
	}
	return changed(w, r, p)
}

// photo serves an uploaded photo to anyone: product photos are public
// (visitors see them in chat), and Telegram fetches them without a
// session.
func (s *Server) photo(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return refuse(http.StatusNotFound, c.T("console_no_photo"))
	}
	p, err := s.opt.Catalog.PhotoByID(r.Context(), id)
	if errors.Is(err, catalog.ErrNotFound) {
		return refuse(http.StatusNotFound, c.T("console_no_photo"))
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", p.ContentType)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable") // a new upload is a new id
	_, err = w.Write(p.Data)
	return err
}
