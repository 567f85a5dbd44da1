package telegramtest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// download fetches a file the way a bot does after getFile.
func download(t *testing.T, srv *Server, bot *tgbotapi.BotAPI, fileID string) []byte {
	t.Helper()
	f, err := bot.GetFile(tgbotapi.FileConfig{FileID: fileID})
	if err != nil {
		t.Fatalf("getFile: %v", err)
	}
	if f.FilePath == "" {
		t.Fatalf("getFile gave no file_path: %+v", f)
	}
	resp, err := http.Get(fmt.Sprintf(srv.FileEndpoint(), srv.Token(), f.FilePath))
	if err != nil {
		t.Fatalf("download: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("download: %s", resp.Status)
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if f.FileSize != len(data) {
		t.Errorf("getFile says %d bytes, the download has %d", f.FileSize, len(data))
	}
	return data
}

func TestUploadedPhotoRoundTrip(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	u := startedUser(srv, 1)
	img := JPEG(640, 480)
	p := tgbotapi.NewPhoto(1, tgbotapi.FileBytes{Name: "tea.jpg", Bytes: img})
	p.Caption = "<b>Maona black tea</b>"
	p.ParseMode = tgbotapi.ModeHTML
	sent, err := bot.Send(p)
	if err != nil {
		t.Fatalf("sendPhoto: %v", err)
	}
	largest := sent.Photo[len(sent.Photo)-1]
	if largest.Width != 640 || largest.Height != 480 || largest.FileUniqueID == "" {
		t.Errorf("largest size = %+v", largest)
	}
	if got := download(t, srv, bot, largest.FileID); !bytes.Equal(got, img) {
		t.Error("the downloaded photo differs from the upload")
	}
	last, _ := u.Last()
	if last.Photo != largest.FileID || last.Caption != "Maona black tea" || last.CaptionHTML != p.Caption {
		t.Errorf("the user sees %+v", last)
	}
	// Sending again by file_id is the same photo.
	again, err := bot.Send(tgbotapi.NewPhoto(1, tgbotapi.FileID(largest.FileID)))
	if err != nil {
		t.Fatalf("sendPhoto by file_id: %v", err)
	}
	if again.Photo[len(again.Photo)-1].FileID != largest.FileID {
		t.Errorf("resent photo = %+v", again.Photo)
	}
	srv.AssertNoViolations(t)
}

func TestUploadedDocumentRoundTrip(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	u := startedUser(srv, 1)
	csv := []byte("order,created_at\r\n#1042,2026-06-01T10:00:00+08:00\r\n")
	d := tgbotapi.NewDocument(1, tgbotapi.FileBytes{Name: "orders.csv", Bytes: csv})
	d.Caption = "June"
	sent, err := bot.Send(d)
	if err != nil {
		t.Fatalf("sendDocument: %v", err)
	}
	if sent.Document.FileName != "orders.csv" || sent.Document.MimeType != "text/csv" {
		t.Errorf("document = %+v", sent.Document)
	}
	if got := download(t, srv, bot, sent.Document.FileID); !bytes.Equal(got, csv) {
		t.Error("the downloaded document differs from the upload")
	}
	last, _ := u.Last()
	if last.Document == nil || last.Document.FileName != "orders.csv" || !bytes.Equal(last.Document.Data, csv) || last.Caption != "June" {
		t.Errorf("the user sees %+v", last)
	}
	srv.AssertNoViolations(t)
}

func TestFilesByURLAreRecordedNotFetched(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	startedUser(srv, 1)
	const photoURL = "https://example.com/maona.jpg"
	sent, err := bot.Send(tgbotapi.NewPhoto(1, tgbotapi.FileURL(photoURL)))
	if err != nil {
		t.Fatalf("sendPhoto by URL: %v", err)
	}
	id := sent.Photo[len(sent.Photo)-1].FileID
	if got := srv.FileURL(id); got != photoURL {
		t.Errorf("FileURL = %q, want %q", got, photoURL)
	}
	if _, ok := srv.FileData(id); ok {
		t.Error("a file sent by URL has data")
	}
	if _, err := bot.Send(tgbotapi.NewDocument(1, tgbotapi.FileID(id))); err == nil {
		t.Error("a photo's file_id was accepted as a document")
	} else if e := clientError(t, err); e.Message != "Bad Request: type of file mismatch" {
		t.Errorf("error = %q", e.Message)
	}
}

func TestFilesFromUsersReachTheBot(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	u := srv.User(1, "Alice", "en")
	img := JPEG(32, 16)
	u.SendPhoto("/photo TEA-01", img)
	sheet := []byte("sku,stock\nTEA-01,5\n")
	u.SendDocument("stock.csv", "", sheet, "/import")
	ups := nextUpdates(t, bot, 0)
	if len(ups) != 2 {
		t.Fatalf("got %d updates, want 2", len(ups))
	}
	photo := ups[0].Message
	if len(photo.Photo) == 0 || photo.Caption != "/photo TEA-01" || len(photo.CaptionEntities) != 1 || photo.CaptionEntities[0].Type != "bot_command" {
		t.Fatalf("photo message = %+v", photo)
	}
	largest := photo.Photo[len(photo.Photo)-1]
	if largest.Width != 32 || largest.Height != 16 {
		t.Errorf("photo size = %dx%d", largest.Width, largest.Height)
	}
	if got := download(t, srv, bot, largest.FileID); !bytes.Equal(got, img) {
		t.Error("the user's photo downloads differently")
	}
	doc := ups[1].Message.Document
	if doc == nil || doc.FileName != "stock.csv" || doc.MimeType != "text/csv" {
		t.Fatalf("document = %+v", doc)
	}
	if got := download(t, srv, bot, doc.FileID); !bytes.Equal(got, sheet) {
		t.Error("the user's document downloads differently")
	}
	// The bot may send the user's photo on by its file_id.
	if _, err := bot.Send(tgbotapi.NewPhoto(1, tgbotapi.FileID(largest.FileID))); err != nil {
		t.Errorf("sendPhoto with the user's file_id: %v", err)
	}
	srv.AssertNoViolations(t)
}

func TestDownloadNeedsTheToken(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	u := srv.User(1, "Alice", "en")
	u.SendDocument("a.txt", "text/plain", []byte("x"), "")
	ups := nextUpdates(t, bot, 0)
	f, err := bot.GetFile(tgbotapi.FileConfig{FileID: ups[0].Message.Document.FileID})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, url string
		status    int
	}{
		{"the right token", fmt.Sprintf(srv.FileEndpoint(), srv.Token(), f.FilePath), 200},
		{"a wrong token", fmt.Sprintf(srv.FileEndpoint(), "1:AAAAAAAAAAAAAAAAAAAAAAAA", f.FilePath), 401},
		{"an unknown path", fmt.Sprintf(srv.FileEndpoint(), srv.Token(), "documents/nope.txt"), 404},
	}
	for _, tt := range tests {
		resp, err := http.Get(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.status)
		}
	}
}
