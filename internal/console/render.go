package console

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"villagebot/catalog"
)

// pageTemplate is a page's template, parsed with the layout.
type pageTemplate struct{ t *template.Template }

var funcs = template.FuncMap{
	"money": func(m catalog.Money) string { return m.String() },
	"text":  func(t catalog.Texts, lang string) string { return t.Get(lang) },
	"langs": func() []string { return Languages },
	"add":   func(a, b int) int { return a + b },
	"mul":   func(a, b int) int { return a * b },
	"addf":  func(a, b float64) float64 { return a + b },
	"sum":   func(a, b catalog.Money) catalog.Money { return a + b },
	// pct is a bar's width in a chart: 0–100 to 0–140 SVG units.
	"pct":   func(x float64) float64 { return float64(int(x*14)) / 10 },
	"dict2": func(v view, bars []bar) chartData { return chartData{V: v, Bars: bars} },
	"query": func(kv ...string) template.URL {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] != "" {
				v.Set(kv[i], kv[i+1])
			}
		}
		return template.URL(v.Encode())
	},
}

// parsePages parses each templates/*.html but layout.html as a page of
// the layout.
func parsePages() (map[string]pageTemplate, error) {
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]pageTemplate{}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", name, err)
		}
		pages[name] = pageTemplate{t}
	}
	return pages, nil
}

// LocalPhoto is the path of a product's photo when the console serves it
// ("" for a Telegram file or another site's image, which the page's
// content policy does not load).
func (v view) LocalPhoto(photoURL string) string {
	if i := strings.Index(photoURL, "/photos/"); i >= 0 && photoURL[:i] == v.C.s.opt.BaseURL {
		return photoURL[i:]
	}
	return ""
}

// chartData is what the chart template gets.
type chartData struct {
	V    view
	Bars []bar
}

// view is what every template gets: the request (language, person, CSRF
// token), the page's data, and the clock's formatting.
type view struct {
	C     *reqCtx
	D     map[string]any
	Page  string
	loc   *time.Location
	Flash string
}

// Time shows t in the office's time zone.
func (v view) Time(t time.Time) string { return t.In(v.loc).Format("2006-01-02 15:04") }

// Date shows a calendar date.
func (v view) Date(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.DateOnly)
}

// render writes page name with data, or a plain failure when the template
// fails (before anything was written).
func (s *Server) render(w http.ResponseWriter, c *reqCtx, status int, name string, data map[string]any) {
	p, ok := s.pages[name]
	if !ok {
		s.opt.Log.Error("console: no such page", "page", name)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	v := view{C: c, D: data, Page: name, loc: s.opt.Location}
	if err := p.t.Execute(&buf, v); err != nil {
		s.opt.Log.Error("console: render", "page", name, "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// safeNext is a local path to go to after signing in; anything else is /.
func safeNext(s string) string {
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") || strings.ContainsAny(s, "\r\n") {
		return "/"
	}
	return s
}
