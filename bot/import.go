package bot

import (
	"bytes"
	"context"
	"errors"
	"path"
	"regexp"
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
	r.Session.Enter(flowImport, stepWait)
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
	name := path.Base(strings.ReplaceAll(cleanText(doc.FileName), "\\", "/"))
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
	case errors.As(err, &fe):
		head := b.msg.T(r.Lang, "import_rejected") + "\n"
		return b.send(ctx, r, fitLines(head, b.fileErrorsText(r.Lang, fe), maxText), nil)
	case errors.Is(err, catalog.ErrInvalid) || errors.Is(err, catalog.ErrNotFound):
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

// fileErrorsText lists the problems of a catalog file one a line, as
// FILE:LINE: column: reason, with the reason in lang where it is one the
// catalog gives (importReasons); file and column names stay as written.
func (b *Bot) fileErrorsText(lang string, fe *catalog.FileErrors) string {
	lines := make([]string, 0, len(fe.Errors)+1)
	for _, e := range fe.Errors {
		e.Reason = b.importReason(lang, e.Reason)
		lines = append(lines, e.String())
	}
	if fe.More > 0 {
		lines = append(lines, "… +"+itoa(fe.More))
	}
	return strings.Join(lines, "\n")
}

// importReasons are the reasons the catalog gives for a bad cell or row,
// in English, each with the message that says it in every language; the
// named groups of the pattern are the message's arguments. The catalog's
// own tests fix these wordings; a reason not listed is shown as it is.
var importReasons = []struct {
	re  *regexp.Regexp
	key string
}{
	{regexp.MustCompile(`^required$`), "import_reason_required"},
	{regexp.MustCompile(`^column missing$`), "import_reason_column_missing"},
	{regexp.MustCompile(`^duplicate column$`), "import_reason_duplicate_column"},
	{regexp.MustCompile(`^unknown column`), "import_reason_unknown_column"},
	{regexp.MustCompile(`^must be an amount in yuan with at most two decimals, such as 88 or 88\.50$`), "import_reason_price"},
	{regexp.MustCompile(`^must be at most 1000000 yuan$`), "import_reason_price_max"},
	{regexp.MustCompile(`^required for a new product$`), "import_reason_price_new"},
	{regexp.MustCompile(`^must be a whole number from 0 to 1000000$`), "import_reason_stock"},
	{regexp.MustCompile(`^must be true or false`), "import_reason_bool"},
	{regexp.MustCompile(`^(?P<Value>\S+) appears twice \(first at (?P<First>[^)]+)\)$`), "import_reason_twice"},
	{regexp.MustCompile(`^(?P<Cells>\d+) cells, but the header has (?P<Columns>\d+) columns$`), "import_reason_cells"},
	{regexp.MustCompile(`^this import is for village (?P<Village>\S+) only$`), "import_reason_only_village"},
	{regexp.MustCompile(`^(?P<SKU>\S+) is a product of village (?P<Other>\S+); this import is for village (?P<Village>\S+) only$`), "import_reason_other_village"},
	{regexp.MustCompile(`^no village with code (?P<Code>\S+) \(`), "import_reason_no_village"},
}

// importReason is reason in lang, when it is one of importReasons.
func (b *Bot) importReason(lang, reason string) string {
	for _, ir := range importReasons {
		m := ir.re.FindStringSubmatch(reason)
		if m == nil {
			continue
		}
		var kv []any
		for i, name := range ir.re.SubexpNames() {
			if name != "" {
				kv = append(kv, name, m[i])
			}
		}
		// What follows a prefix (a hint naming columns) stays as given.
		return b.msg.T(lang, ir.key, kv...) + reason[len(m[0]):]
	}
	return reason
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
