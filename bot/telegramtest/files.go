package telegramtest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // photos may be GIF, JPEG or PNG
	"image/jpeg"
	_ "image/png"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
)

// Limits of the cloud Bot API.
const (
	maxDownload  = 20 << 20 // getFile serves files up to 20 MB
	maxPhotoSide = 10000    // width + height of a photo
)

type fileKind string

const (
	kindPhoto    fileKind = "photo"
	kindDocument fileKind = "document"
)

// storedFile is a file the server knows: uploaded by the bot, sent by a
// user, or named by URL (then it has no data: the server never fetches).
type storedFile struct {
	id, uniqueID, path string
	kind               fileKind
	data               []byte
	url                string
	name, mime         string
	width, height      int
	sizes              []wirePhotoSize // a photo's sizes, shared by each size's file
}

type fileStore struct {
	mu     sync.Mutex
	byID   map[string]*storedFile
	byPath map[string]*storedFile
	n      int
}

func (fs *fileStore) get(id string) *storedFile {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.byID[id]
}

// put stores a file under fresh identifiers.
func (fs *fileStore) put(f *storedFile) *storedFile {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.byID == nil {
		fs.byID, fs.byPath = map[string]*storedFile{}, map[string]*storedFile{}
	}
	fs.n++
	prefix := "BQACAgIAAxkBAAI" // how Telegram's document ids begin
	dir, ext := "documents", path.Ext(f.name)
	if f.kind == kindPhoto {
		prefix, dir, ext = "AgACAgIAAxkBAAI", "photos", ".jpg"
	}
	f.id = prefix + randToken(40)
	f.uniqueID = "AQAD" + randToken(12)
	f.path = fmt.Sprintf("%s/file_%d%s", dir, fs.n, ext)
	fs.byID[f.id] = f
	fs.byPath[f.path] = f
	return f
}

// putPhoto stores a photo as Telegram does: several sizes, each with its
// own file_id, the largest last.
func (fs *fileStore) putPhoto(data []byte, url string, w, h int) []wirePhotoSize {
	thumbW, thumbH := w, h
	if longest := max(w, h); longest > 90 {
		thumbW, thumbH = max(w*90/longest, 1), max(h*90/longest, 1)
	}
	thumb := fs.put(&storedFile{kind: kindPhoto, data: data, url: url, width: thumbW, height: thumbH})
	full := fs.put(&storedFile{kind: kindPhoto, data: data, url: url, width: w, height: h})
	sizes := []wirePhotoSize{
		{FileID: thumb.id, FileUniqueID: thumb.uniqueID, Width: thumbW, Height: thumbH, FileSize: len(data)},
		{FileID: full.id, FileUniqueID: full.uniqueID, Width: w, Height: h, FileSize: len(data)},
	}
	thumb.sizes, full.sizes = sizes, sizes
	return sizes
}

func (fs *fileStore) putDocument(data []byte, url, name, mimeType string) *storedFile {
	return fs.put(&storedFile{kind: kindDocument, data: data, url: url, name: name, mime: mimeType})
}

func (f *storedFile) wireDocument() *wireDocument {
	return &wireDocument{FileID: f.id, FileUniqueID: f.uniqueID, FileName: f.name, MimeType: f.mime, FileSize: len(f.data)}
}

// inputFile resolves the InputFile-or-String parameter name: an upload (as
// a multipart part, directly or through attach://), an http(s) URL, or a
// file_id. It returns the upload, the URL, or the stored file.
func (s *Server) inputFile(r *request, name string) (*upload, string, *storedFile, *apiError) {
	if up := r.files[name]; up != nil {
		return up, "", nil, nil
	}
	v := r.params[name]
	if ref, ok := strings.CutPrefix(v, "attach://"); ok {
		if up := r.files[ref]; up != nil {
			return up, "", nil, nil
		}
		return nil, "", nil, badRequest("wrong file identifier/HTTP URL specified")
	}
	if strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://") {
		return nil, v, nil, nil
	}
	f := s.files.get(v)
	if f == nil {
		return nil, "", nil, badRequest("wrong file identifier/HTTP URL specified")
	}
	return nil, "", f, nil
}

func (s *Server) sendPhoto(r *request) (any, *apiError) {
	up, url, known, aerr := s.inputFile(r, "photo")
	if aerr != nil {
		return nil, aerr
	}
	var sizes []wirePhotoSize
	switch {
	case up != nil:
		cfg, _, err := image.DecodeConfig(bytes.NewReader(up.data))
		if err != nil {
			return nil, badRequest("IMAGE_PROCESS_FAILED")
		}
		if cfg.Width+cfg.Height > maxPhotoSide {
			return nil, badRequest("PHOTO_INVALID_DIMENSIONS")
		}
		sizes = s.files.putPhoto(up.data, "", cfg.Width, cfg.Height)
	case url != "":
		sizes = s.files.putPhoto(nil, url, 800, 600)
	default:
		if known.kind != kindPhoto {
			return nil, badRequest("type of file mismatch")
		}
		sizes = known.sizes
	}
	return s.sendToChat(r, func(m *message) *apiError {
		m.photo = sizes
		m.view.Photo = sizes[len(sizes)-1].FileID
		ft := r.formatted["caption"]
		m.view.Caption, m.view.CaptionHTML, m.captionEntities = ft.text, ft.raw, ft.entities
		return nil
	})
}

func (s *Server) sendDocument(r *request) (any, *apiError) {
	up, url, known, aerr := s.inputFile(r, "document")
	if aerr != nil {
		return nil, aerr
	}
	var f *storedFile
	switch {
	case up != nil:
		f = s.files.putDocument(up.data, "", up.filename, detectMime(up.filename, up.contentType, up.data))
	case url != "":
		name := path.Base(strings.SplitN(url, "?", 2)[0])
		f = s.files.putDocument(nil, url, name, detectMime(name, "", nil))
	default:
		if known.kind != kindDocument {
			return nil, badRequest("type of file mismatch")
		}
		f = known
	}
	return s.sendToChat(r, func(m *message) *apiError {
		m.doc = f.wireDocument()
		m.view.Document = &Document{FileID: f.id, FileName: f.name, MimeType: f.mime, Data: f.data}
		ft := r.formatted["caption"]
		m.view.Caption, m.view.CaptionHTML, m.captionEntities = ft.text, ft.raw, ft.entities
		return nil
	})
}

// detectMime goes by the file name as Telegram does, then by the part's
// header unless that is the client library's generic octet-stream, then by
// the content.
func detectMime(name, header string, data []byte) string {
	if t := mime.TypeByExtension(strings.ToLower(path.Ext(name))); t != "" {
		t, _, _ = strings.Cut(t, ";")
		return t
	}
	if header != "" && header != "application/octet-stream" {
		return header
	}
	if data != nil {
		t, _, _ := strings.Cut(http.DetectContentType(data), ";")
		return t
	}
	return "application/octet-stream"
}

func (s *Server) getFile(r *request) (any, *apiError) {
	f := s.files.get(r.params["file_id"])
	if f == nil {
		return nil, badRequest("invalid file_id")
	}
	if len(f.data) > maxDownload {
		return nil, badRequest("file is too big")
	}
	return wireFile{FileID: f.id, FileUniqueID: f.uniqueID, FileSize: len(f.data), FilePath: f.path}, nil
}

// serveFile answers GET /file/bot<token>/<file_path>.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, rest string) {
	token, filePath, _ := strings.Cut(rest, "/")
	if token != s.token {
		writeError(w, &apiError{code: 401, description: "Unauthorized"})
		return
	}
	s.files.mu.Lock()
	f := s.files.byPath[filePath]
	s.files.mu.Unlock()
	if f == nil || f.data == nil {
		writeError(w, &apiError{code: 404, description: "Not Found"})
		return
	}
	ct := f.mime
	if f.kind == kindPhoto {
		ct = "image/jpeg"
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(f.data)))
	_, _ = w.Write(f.data)
}

// FileData returns the bytes of a file by file_id, as a user's app would
// download it; ok is false for unknown ids and for files sent by URL.
func (s *Server) FileData(fileID string) (data []byte, ok bool) {
	f := s.files.get(fileID)
	if f == nil || f.data == nil {
		return nil, false
	}
	return f.data, true
}

// FileURL returns the URL a file was sent by (the server does not fetch
// it), or "" when it was uploaded.
func (s *Server) FileURL(fileID string) string {
	if f := s.files.get(fileID); f != nil {
		return f.url
	}
	return ""
}

// JPEG makes a small valid JPEG image, for simulated users' photos and for
// bots under test that upload one.
func JPEG(width, height int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, max(width, 1), max(height, 1)))
	for y := range img.Rect.Dy() {
		for x := range img.Rect.Dx() {
			img.Set(x, y, color.RGBA{R: uint8(x), G: uint8(y), B: 0x80, A: 0xff})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		panic(err) // encoding to memory cannot fail
	}
	return buf.Bytes()
}

// randToken is random text in the alphabet of Telegram's ids and tokens.
func randToken(n int) string {
	b := make([]byte, (n*3+3)/4)
	randRead(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}
