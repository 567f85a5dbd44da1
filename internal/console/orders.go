package console

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"villagebot/catalog"
	"villagebot/orders"
)

// ordersPage lists orders with filters: status, kind, village, dates. A
// coordinator sees only the orders holding their village's products,
// with only those lines.
func (s *Server) ordersPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	ctx := r.Context()
	q := r.URL.Query()
	f := orders.ListFilter{Status: orders.Status(q.Get("status")), Kind: orders.Kind(q.Get("kind"))}
	var err error
	if f.From, err = parseDay(q.Get("from")); err != nil {
		return refuse(http.StatusBadRequest, c.T("console_bad_date", "Value", q.Get("from")))
	}
	if f.To, err = parseDay(q.Get("to")); err != nil {
		return refuse(http.StatusBadRequest, c.T("console_bad_date", "Value", q.Get("to")))
	}
	villages, err := s.opt.Catalog.Villages(ctx)
	if err != nil {
		return err
	}
	village := q.Get("village")
	if c.Me.Role == catalog.Coordinator {
		village = c.Me.VillageCode
	}
	if village != "" {
		v, err := s.opt.Catalog.VillageByCode(ctx, village)
		if errors.Is(err, catalog.ErrNotFound) {
			return refuse(http.StatusNotFound, c.T("console_no_village", "Code", village))
		}
		if err != nil {
			return err
		}
		f.VillageID = v.ID
	}
	list, total, err := s.opt.Orders.List(ctx, f, s.opt.Location)
	if errors.Is(err, orders.ErrInvalid) {
		return refuse(http.StatusBadRequest, c.T("console_bad_filter"))
	}
	if err != nil {
		return err
	}
	waiting, err := s.opt.Orders.WaitCounts(ctx, f.VillageID)
	if err != nil {
		return err
	}
	s.render(w, c, http.StatusOK, "orders", map[string]any{
		"Orders": list, "Total": total, "Villages": villages, "Statuses": orders.Statuses,
		"Waiting": waiting, "Open": []orders.Status{orders.Placed, orders.Confirmed, orders.Ready},
		"Filter": map[string]string{"status": q.Get("status"), "kind": q.Get("kind"), "village": village, "from": q.Get("from"), "to": q.Get("to")},
	})
	return nil
}

func parseDay(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// order reads the order a path names, as c.Me may see it: a coordinator
// only an order holding their village's products, with those lines.
func (s *Server) order(r *http.Request, c *reqCtx) (orders.Order, error) {
	n, err := orders.ParseRef(r.PathValue("number"))
	if err != nil {
		return orders.Order{}, refuse(http.StatusNotFound, c.T("console_no_order"))
	}
	o, err := s.opt.Orders.Get(r.Context(), n)
	if errors.Is(err, orders.ErrNotFound) {
		return o, refuse(http.StatusNotFound, c.T("console_no_order"))
	}
	if err != nil {
		return o, err
	}
	if c.Me.Role == catalog.Coordinator {
		o.Lines = slices.DeleteFunc(o.Lines, func(l orders.Line) bool { return !c.Me.CanManage(l.VillageID) })
		if len(o.Lines) == 0 {
			return orders.Order{}, refuse(http.StatusNotFound, c.T("console_no_order"))
		}
	}
	return o, nil
}

// orderPage shows an order: its lines, its details, the history of its
// events and the actions the person may take.
func (s *Server) orderPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	o, err := s.order(r, c)
	if err != nil {
		return err
	}
	events, err := s.opt.Orders.Events(r.Context(), o.Number)
	if err != nil {
		return err
	}
	var moves []orders.Status
	if c.Me.Role == catalog.Office {
		for _, to := range orders.Statuses {
			if orders.CanTransition(o.Status, to) {
				moves = append(moves, to)
			}
		}
	}
	// The villages whose lines may be marked ready by this person.
	var ready []string
	if o.Status == orders.Placed || o.Status == orders.Confirmed {
		for _, l := range o.Lines {
			if l.ReadyAt == nil && !slices.Contains(ready, l.VillageCode) {
				ready = append(ready, l.VillageCode)
			}
		}
	}
	s.render(w, c, http.StatusOK, "order", map[string]any{"Order": o, "Events": events, "Moves": moves, "Ready": ready, "Done": r.URL.Query().Get("done")})
	return nil
}

// orderStatus moves an order, as /status does.
func (s *Server) orderStatus(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	o, err := s.order(r, c)
	if err != nil {
		return err
	}
	to := orders.Status(r.PostFormValue("to"))
	_, err = s.opt.Orders.SetStatus(r.Context(), o.Number, to, c.Me.Actor())
	switch {
	case errors.Is(err, orders.ErrBadTransition), errors.Is(err, orders.ErrInvalid):
		return refuse(http.StatusConflict, c.T("console_bad_move", "From", o.Status, "To", to))
	case err != nil:
		return err
	}
	return redirect(w, r, "/orders/"+r.PathValue("number")+"?done=status")
}

// orderReady marks a village's lines ready, as /ready does: a
// coordinator their own village's, office staff the village they chose.
func (s *Server) orderReady(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	o, err := s.order(r, c)
	if err != nil {
		return err
	}
	v, err := s.village(r, c, r.PostFormValue("village"))
	if err != nil {
		return err
	}
	_, _, err = s.opt.Orders.MarkReady(r.Context(), o.Number, v.ID, c.Me.Actor())
	switch {
	case errors.Is(err, orders.ErrBadTransition):
		return refuse(http.StatusConflict, c.T("console_bad_move", "From", o.Status, "To", orders.Ready))
	case errors.Is(err, orders.ErrNotFound):
		return refuse(http.StatusNotFound, c.T("console_no_order"))
	case err != nil:
		return err
	}
	return redirect(w, r, "/orders/"+r.PathValue("number")+"?done=ready")
}

// village reads the village with code and checks that c.Me may manage
// it: a coordinator of another village is refused, whatever the URL or
// form said.
func (s *Server) village(r *http.Request, c *reqCtx, code string) (catalog.Village, error) {
	v, err := s.opt.Catalog.VillageByCode(r.Context(), code)
	if errors.Is(err, catalog.ErrNotFound) {
		return v, refuse(http.StatusNotFound, c.T("console_no_village", "Code", code))
	}
	if err != nil {
		return v, err
	}
	if !c.Me.CanManage(v.ID) {
		s.opt.Log.Warn("console: another village refused", "name", c.Me.Name, "village", code, "path", r.URL.Path)
		return v, refuse(http.StatusForbidden, c.T("console_not_your_village"))
	}
	return v, nil
}
