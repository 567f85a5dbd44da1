package console

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"villagebot/catalog"
	"villagebot/orders"
)

// importPage is the import form with a link to the template.
func (s *Server) importPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	s.render(w, c, http.StatusOK, "import", map[string]any{})
	return nil
}

// importTemplate is a products.csv to fill in: the import's header and
// one example row (of the coordinator's village).
func (s *Server) importTemplate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	village := "maona"
	if c.Me.Role == catalog.Coordinator {
		village = c.Me.VillageCode
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="products.csv"`)
	fmt.Fprint(w, "\uFEFFsku,village,category,name_zh,name_en,name_ru,unit_zh,unit_en,unit_ru,price,stock,gift,visible,story_zh,story_en,story_ru,photo_url\r\n")
	fmt.Fprintf(w, "NEW-SKU-1,%s,tea,红茶,Black tea,Чёрный чай,盒,box,коробка,88.00,20,false,true,,,,\r\n", village)
	return nil
}

// importFile imports an uploaded .csv or .xlsx, as /import: a coordinator
// only their own village's rows; the row errors are listed against the
// file's lines.
func (s *Server) importFile(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	f, hdr, err := r.FormFile("file")
	if err != nil {
		return refuse(http.StatusBadRequest, c.T("console_import_nofile"))
	}
	defer f.Close()
	name := filepath.Base(hdr.Filename)
	batch, err := catalog.Parse(r.Context(), name, f)
	opt := catalog.ImportOptions{Actor: c.Me.Actor()}
	if c.Me.Role == catalog.Coordinator {
		opt.Village = c.Me.VillageCode
	}
	var res catalog.ImportResult
	if err == nil {
		res, err = s.opt.Catalog.Import(r.Context(), batch, opt)
	}
	var fe *catalog.FileErrors
	switch {
	case errors.As(err, &fe):
		s.render(w, c, http.StatusBadRequest, "import", map[string]any{"File": name, "Errors": fe.Errors, "More": fe.More})
		return nil
	case errors.Is(err, catalog.ErrInvalid):
		s.render(w, c, http.StatusBadRequest, "import", map[string]any{"File": name, "Problem": err.Error()})
		return nil
	case err != nil:
		return err
	}
	s.render(w, c, http.StatusOK, "import", map[string]any{"File": name, "Result": res})
	return nil
}

// exportPage offers the orders export (the same file as /export and
// `villagebot orders export`) and the catalog export.
func (s *Server) exportPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	s.render(w, c, http.StatusOK, "export", map[string]any{})
	return nil
}

// exportOrders streams the orders export of section 7.
func (s *Server) exportOrders(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	q := r.URL.Query()
	f := orders.ExportFilter{Kind: q.Get("kind")}
	var err error
	if f.From, err = parseDay(q.Get("from")); err != nil {
		return refuse(http.StatusBadRequest, c.T("console_bad_date", "Value", q.Get("from")))
	}
	if f.To, err = parseDay(q.Get("to")); err != nil {
		return refuse(http.StatusBadRequest, c.T("console_bad_date", "Value", q.Get("to")))
	}
	format := q.Get("format")
	if format != "csv" {
		format = "xlsx"
	}
	if err := f.Validate(); err != nil {
		return refuse(http.StatusBadRequest, c.T("console_bad_filter"))
	}
	// The file is made first, so that a failure is a page, not half a file.
	tmp, err := os.CreateTemp("", "console-export-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if _, err := s.opt.Orders.WriteExport(r.Context(), f, s.opt.Location, format, tmp); err != nil {
		return err
	}
	return sendFile(w, tmp, orders.ExportFileName(f, format))
}

// exportCatalog sends the whole catalog as one workbook, as `villagebot
// catalog export PATH.xlsx`.
func (s *Server) exportCatalog(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	dir, err := os.MkdirTemp("", "console-catalog-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "catalog.xlsx")
	if err := s.opt.Catalog.Export(r.Context(), path); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return sendFile(w, f, "catalog.xlsx")
}

func sendFile(w http.ResponseWriter, f *os.File, name string) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	ct := "text/csv; charset=utf-8"
	if strings.HasSuffix(name, ".xlsx") {
		ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	_, err := io.Copy(w, f)
	return err
}
