package telegram

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Download fetches a file a user sent, refusing one larger than limit
// bytes. The download URL carries the token, so errors are scrubbed.
func (t *Client) Download(ctx context.Context, fileID string, limit int64) ([]byte, error) {
	var f tgbotapi.File
	err := t.do(ctx, "getFile", 0, true, func() error {
		var err error
		f, err = t.api.GetFile(tgbotapi.FileConfig{FileID: fileID})
		return err
	})
	if err != nil {
		return nil, err
	}
	if f.FileSize > 0 && int64(f.FileSize) > limit {
		return nil, ErrFileTooLarge
	}
	data, result, err := t.download(ctx, f.FilePath, limit)
	t.Metrics.outbound("download", result)
	if err != nil {
		return nil, &CallError{Method: "download", Err: err}
	}
	if int64(len(data)) > limit {
		return nil, ErrFileTooLarge
	}
	return data, nil
}

// download reads up to limit+1 bytes of a file and names the result for
// metrics. Its errors carry no token.
func (t *Client) download(ctx context.Context, path string, limit int64) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.base+"/file/bot"+t.token+"/"+path, nil)
	if err != nil {
		return nil, "network", t.scrub(err)
	}
	resp, err := t.http.Do(req)
	if err != nil {
		return nil, "network", t.scrub(err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 500:
		return nil, "5xx", fmt.Errorf("HTTP %d", resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, "4xx", fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, "network", t.scrub(err)
	}
	return data, "ok", nil
}

// ErrFileTooLarge is a file over the size the bot accepts.
var ErrFileTooLarge = errors.New("file too large")
