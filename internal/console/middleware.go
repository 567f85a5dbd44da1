package console

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"strings"

	"golang.org/x/text/language"

	"villagebot/catalog"
)

// The console's cookies: the session, the CSRF token of a browser not
// signed in (for the sign-in and password forms), and the language.
const (
	sessionCookie = "vb_session"
	preCookie     = "vb_pre"
	langCookie    = "vb_lang"
	csrfField     = "csrf"
)

// reqCtx is what a handler knows of the request beyond it: the language,
// the signed-in person (zero when none) and the CSRF token its forms
// carry.
type reqCtx struct {
	Lang string
	Me   catalog.Staff
	CSRF string
	sid  string
	s    *Server
}

// T is a message in the request's language.
func (c *reqCtx) T(id string, kv ...any) string { return c.s.opt.Messages.T(c.Lang, id, kv...) }

// signedIn reports whether someone is signed in.
func (c *reqCtx) signedIn() bool { return c.Me.ID != 0 }

// handler is a console page or action. An error it returns is shown as a
// page: a *userError with its words and status, anything else as a
// generic failure logged once.
type handler func(w http.ResponseWriter, r *http.Request, c *reqCtx) error

// userError is a refusal or a bad input told to the person as it is.
type userError struct {
	status int
	msg    string
}

func (e *userError) Error() string { return e.msg }

func refuse(status int, msg string) error { return &userError{status, msg} }

// wrap is the one middleware of the console: recover, security headers,
// language, session, the role check (role "" lets anyone in), and the
// CSRF token of every state-changing request.
func (s *Server) wrap(next handler, role catalog.Role) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				s.opt.Log.Error("console: panic", "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			}
		}()
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer") // sign-in links carry a token in the path
		hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'")
		hd.Set("Cache-Control", "no-store")
		c := &reqCtx{s: s, Lang: s.lang(w, r)}
		if err := s.authorize(w, r, c, role); err != nil {
			s.fail(w, r, c, err)
			return
		}
		if err := next(w, r, c); err != nil {
			s.fail(w, r, c, err)
		}
	})
}

var errSignIn = errors.New("sign in first")

// authorize reads the session (the account is read again from the
// database, so a revoke or a changed role counts at once), checks role,
// and checks the CSRF token of a request that changes something.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, c *reqCtx, role catalog.Role) error {
	ctx := r.Context()
	if ck, err := r.Cookie(sessionCookie); err == nil {
		sess, err := s.sessions.get(ctx, ck.Value)
		switch {
		case errors.Is(err, errNoSession):
		case err != nil:
			return err
		default:
			me, err := s.opt.Catalog.StaffByID(ctx, sess.StaffID)
			switch {
			case errors.Is(err, catalog.ErrNotFound):
			case err != nil:
				return err
			case me.Generation == sess.Generation:
				c.Me, c.CSRF, c.sid = me, sess.CSRF, ck.Value
			}
		}
	}
	if !c.signedIn() {
		c.CSRF = s.preToken(w, r)
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		// A multipart form (an import) is read here, bounded.
		r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
			if err := r.ParseMultipartForm(maxUpload); err != nil {
				return refuse(http.StatusRequestEntityTooLarge, c.T("console_file_too_big"))
			}
		}
		got := r.PostFormValue(csrfField)
		if c.CSRF == "" || subtle.ConstantTimeCompare([]byte(got), []byte(c.CSRF)) != 1 {
			return refuse(http.StatusForbidden, c.T("console_csrf"))
		}
	}
	switch {
	case role == "":
		return nil
	case !c.signedIn():
		return errSignIn
	case role == catalog.Office && c.Me.Role != catalog.Office:
		return refuse(http.StatusForbidden, c.T("console_office_only"))
	}
	return nil
}

// maxUpload bounds a request body: an import file or a photo.
const maxUpload = 8 << 20

// preToken is the CSRF token of a browser not signed in: a random value
// in its own cookie that the form must repeat.
func (s *Server) preToken(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(preCookie); err == nil && len(ck.Value) >= 32 && len(ck.Value) <= 64 {
		return ck.Value
	}
	v := randomToken()
	s.setCookie(w, preCookie, v, 0)
	r.AddCookie(&http.Cookie{Name: preCookie, Value: v})
	return v
}

func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
}

var langMatcher = language.NewMatcher([]language.Tag{language.English, language.Chinese, language.Russian})

// lang is the language of the request: ?lang= (remembered in a cookie),
// else the cookie, else the browser's Accept-Language.
func (s *Server) lang(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); supported(l) {
		s.setCookie(w, langCookie, l, 365*24*3600)
		return l
	}
	if ck, err := r.Cookie(langCookie); err == nil && supported(ck.Value) {
		return ck.Value
	}
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	_, i, _ := langMatcher.Match(tags...)
	return []string{"en", "zh", "ru"}[i]
}

func supported(l string) bool {
	for _, x := range Languages {
		if l == x {
			return true
		}
	}
	return false
}

// clientAddr is the address sign-in attempts are counted by: the peer,
// or, when the peer is a reverse proxy on this host or its private network
// (loopback or a private address, as a container sees the host's proxy),
// the address the proxy appended to X-Forwarded-For.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip != nil && (ip.IsLoopback() || ip.IsPrivate()) {
		if f := r.Header.Get("X-Forwarded-For"); f != "" {
			parts := strings.Split(f, ",")
			return strings.TrimSpace(parts[len(parts)-1])
		}
	}
	return host
}

// fail shows err: sign-in first, a refusal, or a generic failure.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, c *reqCtx, err error) {
	if errors.Is(err, errSignIn) {
		if r.Method == http.MethodGet {
			http.Redirect(w, r, "/signin?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		err = refuse(http.StatusUnauthorized, c.T("console_signin_first"))
	}
	var ue *userError
	if !errors.As(err, &ue) {
		s.opt.Log.Error("console: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		ue = &userError{http.StatusInternalServerError, c.T("console_failed")}
	}
	s.render(w, c, ue.status, "error", map[string]any{"Message": ue.msg})
}
