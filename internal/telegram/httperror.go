package telegram

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"
)

// HTTPError is an error answer that is not the Bot API's JSON — a proxy's
// or load balancer's page, such as a 502 in HTML. It carries the status
// and the start of the body, the token taken out, so that the log says
// what answered; outcome counts it by its status's class.
type HTTPError struct {
	Status  int
	Excerpt string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("HTTP %d, not a Bot API answer: %q", e.Status, e.Excerpt)
}

// excerptBytes is how much of such a body is kept.
const excerptBytes = 200

// answerCheck is the client's transport: it turns an error answer that is
// not JSON into an *HTTPError, which the library would otherwise report as
// JSON it could not read. Downloads of files (a path under /file/) are
// left alone: their answers are files.
type answerCheck struct {
	next  http.RoundTripper
	token string
}

func (a answerCheck) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := a.next.RoundTrip(req)
	if err != nil || resp.StatusCode < 300 || strings.HasPrefix(req.URL.Path, "/file/") || isJSON(resp.Header.Get("Content-Type")) {
		return resp, err
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, excerptBytes))
	return nil, &HTTPError{Status: resp.StatusCode, Excerpt: a.excerpt(head)}
}

// excerpt is the start of a body as text on one line, without the token.
func (a answerCheck) excerpt(b []byte) string {
	s := strings.ToValidUTF8(string(b), "")
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	s = strings.Join(strings.Fields(s), " ")
	if a.token != "" {
		s = strings.ReplaceAll(s, a.token, "<token>")
	}
	return s
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}
