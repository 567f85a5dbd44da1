package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"villagebot/catalog"
)

// staffPage lists every account with its role, and the forms to invite,
// change a role, issue a new sign-in link and revoke.
func (s *Server) staffPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	list, err := s.opt.Catalog.StaffList(r.Context())
	if err != nil {
		return err
	}
	villages, err := s.opt.Catalog.Villages(r.Context())
	if err != nil {
		return err
	}
	s.render(w, c, http.StatusOK, "staff", map[string]any{"Staff": list, "Villages": villages, "Done": r.URL.Query().Get("done")})
	return nil
}

// roleForm reads role and village from a form: "office", or
// "coordinator" with a village code.
func roleForm(r *http.Request) (catalog.Role, string) {
	role := catalog.Role(r.PostFormValue("role"))
	code := ""
	if role == catalog.Coordinator {
		code = strings.ToLower(strings.TrimSpace(r.PostFormValue("village")))
	}
	return role, code
}

func (s *Server) staffError(c *reqCtx, err error) error {
	switch {
	case errors.Is(err, catalog.ErrLastOffice):
		return refuse(http.StatusConflict, c.T("revoke_last_office"))
	case errors.Is(err, catalog.ErrExists):
		return refuse(http.StatusConflict, c.T("console_name_taken"))
	case errors.Is(err, catalog.ErrNotFound):
		return refuse(http.StatusNotFound, c.T("console_no_account"))
	case errors.Is(err, catalog.ErrInvalid):
		return refuse(http.StatusBadRequest, c.T("console_bad_account"))
	}
	return err
}

// staffInvite creates an account, as `villagebot staff invite`, and shows
// its one-time link.
func (s *Server) staffInvite(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	role, code := roleForm(r)
	_, token, err := s.opt.Catalog.Invite(r.Context(), r.PostFormValue("name"), role, code, c.Me.Actor())
	if err != nil {
		return s.staffError(c, err)
	}
	return s.showLink(w, r, c, token)
}

// showLink shows a new sign-in link once, on the staff page.
func (s *Server) showLink(w http.ResponseWriter, r *http.Request, c *reqCtx, token string) error {
	list, err := s.opt.Catalog.StaffList(r.Context())
	if err != nil {
		return err
	}
	villages, err := s.opt.Catalog.Villages(r.Context())
	if err != nil {
		return err
	}
	s.render(w, c, http.StatusOK, "staff", map[string]any{"Staff": list, "Villages": villages, "Link": LinkURL(s.opt.BaseURL, token)})
	return nil
}

func staffID(r *http.Request) int64 {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id
}

// staffRole changes an account's role, as /grant.
func (s *Server) staffRole(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	role, code := roleForm(r)
	if _, err := s.opt.Catalog.GrantAccount(r.Context(), staffID(r), role, code, c.Me.Actor()); err != nil {
		return s.staffError(c, err)
	}
	return redirect(w, r, "/staff?done=role")
}

// staffRevoke removes an account, as /revoke; the last office account
// stays.
func (s *Server) staffRevoke(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if err := s.opt.Catalog.RevokeAccount(r.Context(), staffID(r), c.Me.Actor()); err != nil {
		return s.staffError(c, err)
	}
	return redirect(w, r, "/staff?done=revoke")
}

// staffLink issues a new one-time sign-in link for an account (a
// forgotten password).
func (s *Server) staffLink(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	token, err := s.opt.Catalog.IssueLink(r.Context(), staffID(r), c.Me.Actor())
	if err != nil {
		return s.staffError(c, err)
	}
	return s.showLink(w, r, c, token)
}

// historyPage is the history of changes: who changed what, when. A
// coordinator sees their village's.
func (s *Server) historyPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	var villageID int64
	if c.Me.Role == catalog.Coordinator && c.Me.VillageID != nil {
		villageID = *c.Me.VillageID
	}
	hs, err := s.opt.Orders.History(r.Context(), villageID, 300)
	if err != nil {
		return err
	}
	s.render(w, c, http.StatusOK, "history", map[string]any{"Changes": hs})
	return nil
}
