package console

import (
	"errors"
	"math"
	"net/http"
	"unicode/utf8"

	"villagebot/catalog"
)

// signinPage is the sign-in form.
func (s *Server) signinPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if c.signedIn() {
		return redirect(w, r, safeNext(r.URL.Query().Get("next")))
	}
	s.render(w, c, http.StatusOK, "signin", map[string]any{"Next": safeNext(r.URL.Query().Get("next"))})
	return nil
}

// signin checks a name and password. Wrong passwords are counted per
// name and per address; past the limit sign-in is locked for a while,
// whatever the password.
func (s *Server) signin(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	ctx := r.Context()
	name, password := r.PostFormValue("name"), r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	again := func(status int, msg string) error {
		s.render(w, c, status, "signin", map[string]any{"Next": next, "Name": name, "Error": msg})
		return nil
	}
	n, err := catalog.NormalizeStaffName(name)
	if err != nil || password == "" || len(password) > maxPassword {
		return again(http.StatusBadRequest, c.T("console_signin_wrong"))
	}
	addr := clientAddr(r)
	wait, err := s.sessions.locked(ctx, n, addr)
	if err != nil {
		return err
	}
	if wait > 0 {
		return again(http.StatusTooManyRequests, c.T("console_signin_locked", "Minutes", int(math.Ceil(wait.Minutes()))))
	}
	me, hash, err := s.opt.Catalog.Credentials(ctx, n)
	if err != nil && !errors.Is(err, catalog.ErrNotFound) {
		return err
	}
	if hash == "" {
		checkPassword(dummyHash(), password) // as long as a wrong password
	}
	if hash == "" || !checkPassword(hash, password) {
		if err := s.sessions.failed(ctx, n, addr); err != nil {
			return err
		}
		s.opt.Log.Info("console: wrong password", "name", n, "addr", addr)
		return again(http.StatusUnauthorized, c.T("console_signin_wrong"))
	}
	if err := s.sessions.succeeded(ctx, n); err != nil {
		return err
	}
	if err := s.startSession(w, r, c, me); err != nil {
		return err
	}
	return redirect(w, r, next)
}

func (s *Server) startSession(w http.ResponseWriter, r *http.Request, c *reqCtx, me catalog.Staff) error {
	if c.sid != "" {
		s.sessions.delete(r.Context(), c.sid)
	}
	id, _, err := s.sessions.create(r.Context(), me.ID, me.Generation)
	if err != nil {
		return err
	}
	s.setCookie(w, sessionCookie, id, int(sessionTTL.Seconds()))
	s.opt.Log.Info("console: signed in", "name", me.Name, "staff_id", me.ID)
	return nil
}

// linkPage is the page of a one-time sign-in link: set a password.
func (s *Server) linkPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	me, err := s.opt.Catalog.StaffByLink(r.Context(), r.PathValue("token"))
	if errors.Is(err, catalog.ErrLinkInvalid) {
		return refuse(http.StatusNotFound, c.T("console_link_invalid"))
	}
	if err != nil {
		return err
	}
	s.render(w, c, http.StatusOK, "link", map[string]any{"Account": me, "Token": r.PathValue("token")})
	return nil
}

// setPassword uses the link once: the password is set, the person's
// other sessions end, and they are signed in.
func (s *Server) setPassword(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	ctx := r.Context()
	token := r.PathValue("token")
	me, err := s.opt.Catalog.StaffByLink(ctx, token)
	if errors.Is(err, catalog.ErrLinkInvalid) {
		return refuse(http.StatusNotFound, c.T("console_link_invalid"))
	}
	if err != nil {
		return err
	}
	p, p2 := r.PostFormValue("password"), r.PostFormValue("password2")
	var problem string
	switch n := utf8.RuneCountInString(p); {
	case n < minPassword || len(p) > maxPassword:
		problem = c.T("console_password_length", "Min", minPassword, "Max", maxPassword)
	case p != p2:
		problem = c.T("console_password_mismatch")
	}
	if problem != "" {
		s.render(w, c, http.StatusBadRequest, "link", map[string]any{"Account": me, "Token": token, "Error": problem})
		return nil
	}
	me, err = s.opt.Catalog.SetPasswordByLink(ctx, token, hashPassword(p))
	if errors.Is(err, catalog.ErrLinkInvalid) {
		return refuse(http.StatusNotFound, c.T("console_link_invalid"))
	}
	if err != nil {
		return err
	}
	if err := s.startSession(w, r, c, me); err != nil {
		return err
	}
	return redirect(w, r, "/")
}

// signout ends this session.
func (s *Server) signout(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if err := s.sessions.delete(r.Context(), c.sid); err != nil {
		return err
	}
	s.setCookie(w, sessionCookie, "", -1)
	return redirect(w, r, "/signin")
}

// signoutEverywhere ends every session of the person, on every device.
func (s *Server) signoutEverywhere(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if err := s.opt.Catalog.SignOutEverywhere(r.Context(), c.Me.ID, c.Me.Actor()); err != nil {
		return err
	}
	s.sessions.delete(r.Context(), c.sid)
	s.setCookie(w, sessionCookie, "", -1)
	return redirect(w, r, "/signin")
}
