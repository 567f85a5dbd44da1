package bot

import (
	"bytes"
	"context"
	"errors"
	"path"
	"strings"

	"villagebot/catalog"
)

// maxImportFile is the largest catalog file accepted from chat.
const maxImportFile = 10 << 20

// importCmd is /import, then a .csv or .xlsx document — or a document
// captioned /import. A coordinator's file may hold only their village's
// rows: one row of another village refuses the whole file.
func (b *Bot) importCmd(ctx context.Context, r *Request, me catalog.Staff) error {
	if r.Args != "" {
		return b.usage(r, "import")
	}
	if r.Message.Document != nil {
		return b.importFile(ctx, r, me)
	}
	r.Session.Enter("import", "wait")
	return b.send(ctx, r, b.msg.T(r.Lang, "import_send"), nil)
}

// importStep takes the document sent after /import.
func (b *Bot) importStep(ctx context.Context, r *Request, me catalog.Staff) error {
	if r.Message.Document == nil {
		return refuse(b.msg.T(r.Lang, "import_send"))
	}
	r.Session.Leave()
	return b.importFile(ctx, r, me)
}

func (b *Bot) importFile(ctx context.Context, r *Request, me catalog.Staff) error {
	doc := r.Message.Document
	name := path.Base(strings.ReplaceAll(doc.FileName, "\\", "/"))
	ext := strings.ToLower(path.Ext(name))
	if ext != ".csv" && ext != ".xlsx" {
		return refuse(b.msg.T(r.Lang, "import_bad_type"))
	}
	if doc.FileSize > maxImportFile {
		return refuse(b.msg.T(r.Lang, "import_too_large"))
	}
	data, err := b.tg.Download(ctx, doc.FileID, maxImportFile)
	if errors.Is(err, ErrFileTooLarge) {
		return refuse(b.msg.T(r.Lang, "import_too_large"))
	}
	if err != nil {
		return err
	}
	opt := catalog.ImportOptions{Actor: actor(r.UserID)}
	if me.Role == catalog.Coordinator {
		opt.Village = me.VillageCode
	}
	batch, err := catalog.Parse(ctx, name, bytes.NewReader(data))
	var res catalog.ImportResult
	if err == nil {
		res, err = b.catalog.Import(ctx, batch, opt)
	}
	var fe *catalog.FileErrors
	switch {
	case errors.As(err, &fe) || errors.Is(err, catalog.ErrInvalid) || errors.Is(err, catalog.ErrNotFound):
		head := b.msg.T(r.Lang, "import_rejected") + "\n"
		return b.send(ctx, r, fitLines(head, err.Error(), maxText), nil)
	case err != nil:
		return err
	}
	return b.send(ctx, r, b.msg.T(r.Lang, "import_done",
		"VillagesCreated", res.VillagesCreated, "VillagesUpdated", res.VillagesUpdated,
		"ProductsCreated", res.ProductsCreated, "ProductsUpdated", res.ProductsUpdated,
		"Unchanged", res.Unchanged), nil)
}

// fitLines is head followed by the lines of text (escaped, in <code>) that
// fit within limit, with a count of those left out.
func fitLines(head, text string, limit int) string {
	var sb strings.Builder
	sb.WriteString(head)
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		next := "<code>" + esc(l) + "</code>\n"
		if plainLen(sb.String()+next) > limit-40 {
			sb.WriteString("… +" + itoa(len(lines)-i))
			break
		}
		sb.WriteString(next)
	}
	return strings.TrimRight(sb.String(), "\n")
}
