package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// maxUpload is the largest request body Telegram accepts (50 MB for files
// uploaded by bots).
const maxUpload = 50 << 20

// request is one Bot API call after its body was decoded: every parameter as
// a string, as Telegram sees it whatever the encoding, and the uploaded files.
type request struct {
	ctx    context.Context
	method string // canonical name from the description
	params map[string]string
	files  map[string]*upload

	// Filled in by validation, used by the handlers.
	formatted map[string]formatted // text/caption after parse_mode
	json      map[string]any       // decoded JSON parameters
}

type upload struct {
	filename    string
	contentType string
	data        []byte
}

func (r *request) has(name string) bool {
	if r.params[name] != "" {
		return true
	}
	_, ok := r.files[name]
	return ok
}

// errTooLarge and errMalformed tell the HTTP layer which error to answer.
var (
	errTooLarge  = errors.New("request entity too large")
	errMalformed = errors.New("malformed request body")
)

// decodeRequest reads parameters from the query string and from a body that
// is form-encoded, multipart or JSON, the encodings Telegram accepts.
func decodeRequest(r *http.Request) (map[string]string, map[string]*upload, error) {
	params := map[string]string{}
	files := map[string]*upload{}
	set := func(k, v string) {
		if _, dup := params[k]; !dup {
			params[k] = v
		}
	}
	for k, vs := range r.URL.Query() {
		set(k, vs[0])
	}
	if r.Body == nil || r.Method == http.MethodGet {
		return params, files, nil
	}
	body := http.MaxBytesReader(nil, r.Body, maxUpload+1<<20)
	mediaType, mtParams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mediaType {
	case "application/x-www-form-urlencoded":
		b, err := io.ReadAll(body)
		if err != nil {
			return nil, nil, readErr(err)
		}
		vs, err := url.ParseQuery(string(b))
		if err != nil {
			return nil, nil, errMalformed
		}
		for k, v := range vs {
			set(k, v[0])
		}
	case "multipart/form-data":
		mr := multipart.NewReader(body, mtParams["boundary"])
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, nil, readErr(err)
			}
			data, err := io.ReadAll(p)
			if err != nil {
				return nil, nil, readErr(err)
			}
			name := p.FormName()
			if p.FileName() != "" {
				if _, dup := files[name]; !dup {
					files[name] = &upload{
						filename:    baseName(p.FileName()),
						contentType: p.Header.Get("Content-Type"),
						data:        data,
					}
				}
				continue
			}
			set(name, string(data))
		}
	case "application/json":
		b, err := io.ReadAll(body)
		if err != nil {
			return nil, nil, readErr(err)
		}
		if len(bytes.TrimSpace(b)) == 0 {
			break
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(b, &obj); err != nil {
			return nil, nil, errMalformed
		}
		for k, raw := range obj {
			set(k, jsonParam(raw))
		}
	}
	return params, files, nil
}

// jsonParam turns one member of a JSON body into the string Telegram's
// server works with: strings as they are, everything else as JSON text.
func jsonParam(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) == nil {
		return buf.String()
	}
	return string(raw)
}

func readErr(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return errTooLarge
	}
	return errMalformed
}

// baseName keeps the last element of a client-side path (the client library
// sends the whole local path for tgbotapi.FilePath).
func baseName(name string) string {
	return path.Base(strings.ReplaceAll(name, `\`, "/"))
}

// describe renders parameters for a Violation: values as sent, files as a
// short note, the token (should a bot ever put it in a parameter) masked.
func describe(params map[string]string, files map[string]*upload, token string) map[string]string {
	out := make(map[string]string, len(params)+len(files))
	for k, v := range params {
		out[k] = redact(v, token)
	}
	if _, ok := out["provider_token"]; ok {
		out["provider_token"] = "<provider token>" // a secret too (payment.go)
	}
	for k, f := range files {
		out[k] = fmt.Sprintf("<file %q, %d bytes>", f.filename, len(f.data))
	}
	return out
}

func redact(s, token string) string {
	if token == "" {
		return s
	}
	return strings.ReplaceAll(s, token, "<token>")
}
