package catalog

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
)

// Limits on the work a workbook may ask for. A workbook's cells may point
// into a table of shared strings, so a file of 52 KB can hold one string
// of 16 MB that 3,000 cells repeat: 48 GB to read. Before a workbook is
// read, its cells are counted and what they expand to is added up; a
// workbook over either limit is refused unread.
const (
	MaxExpandedBytes = 64 << 20 // text of all cells, shared strings counted at every use
	MaxCells         = 1 << 20  // cells of all sheets
)

// checkWorkbookBudget adds up the cells of every worksheet of the workbook
// in data and the bytes they expand to, without unpacking a shared string.
// The bytes of a shared string are those of its XML, markup and escapes
// included: never fewer than its text. It returns a one-line reason when
// the workbook is over a limit, or the context's error at the deadline.
func checkWorkbookBudget(ctx context.Context, data []byte) (string, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", nil // not a zip: excelize says so in its words
	}
	var shared []int
	var sheets []*zip.File
	for _, f := range zr.File {
		switch name := strings.ToLower(f.Name); {
		case name == "xl/sharedstrings.xml":
			if f.UncompressedSize64 > maxUnzipXMLBytes {
				return "the shared strings unpack to more than 64 MiB", nil
			}
			if shared, err = sharedStringSizes(ctx, f); err != nil {
				return "", err
			}
		case path.Dir(name) == "xl/worksheets" && path.Ext(name) == ".xml":
			sheets = append(sheets, f)
		}
	}
	var b budget
	for _, f := range sheets {
		if f.UncompressedSize64 > maxUnzipXMLBytes {
			return "a sheet unpacks to more than 64 MiB", nil
		}
		if err := b.countSheet(ctx, f, shared); err != nil {
			return "", err
		}
		if reason := b.over(); reason != "" {
			return reason, nil
		}
	}
	return "", nil
}

// budget is what the cells counted so far ask for.
type budget struct {
	cells int
	bytes int64
}

func (b *budget) over() string {
	switch {
	case b.cells > MaxCells:
		return fmt.Sprintf("more than %d cells: split the file", MaxCells)
	case b.bytes > MaxExpandedBytes:
		return "the cells hold more than 64 MiB of text once shared strings are repeated where they are used"
	}
	return ""
}

// readZipFile reads one member of a workbook, at most maxUnzipXMLBytes.
func readZipFile(f *zip.File) ([]byte, error) {
	r, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, maxUnzipXMLBytes))
}

// sharedStringSizes returns the size in bytes of the XML of each shared
// string (<si>…</si>), in table order.
func sharedStringSizes(ctx context.Context, f *zip.File) ([]int, error) {
	data, err := readZipFile(f)
	if err != nil {
		return nil, err
	}
	var sizes []int
	for i := 0; ; i++ {
		if i%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		start := bytes.Index(data, []byte("<si"))
		if start < 0 {
			return sizes, nil
		}
		data = data[start+3:]
		end := bytes.Index(data, []byte("</si>"))
		if end < 0 {
			end = len(data)
		}
		if bytes.HasPrefix(data, []byte("/>")) { // an empty <si/>
			end = 0
		}
		sizes = append(sizes, end)
		data = data[end:]
	}
}

// countSheet adds the cells of one worksheet to b: each <c> is a cell; a
// cell of type s adds the size of the shared string its <v> points to.
func (b *budget) countSheet(ctx context.Context, f *zip.File, shared []int) error {
	data, err := readZipFile(f)
	if err != nil {
		return err
	}
	for {
		if b.cells%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		start := bytes.Index(data, []byte("<c "))
		if start < 0 {
			return nil
		}
		data = data[start+3:]
		b.cells++
		tagEnd := bytes.IndexByte(data, '>')
		if tagEnd < 0 {
			return nil
		}
		tag := data[:tagEnd]
		if !bytes.Contains(tag, []byte(`t="s"`)) || bytes.HasSuffix(tag, []byte("/")) {
			continue
		}
		i, ok := sharedIndex(data[tagEnd+1:])
		if ok && i >= 0 && i < len(shared) {
			b.bytes += int64(shared[i])
		}
		if b.over() != "" {
			return nil
		}
	}
}

// sharedIndex reads the number in the <v> of the cell whose content starts
// data.
func sharedIndex(data []byte) (int, bool) {
	end := bytes.Index(data, []byte("</c>"))
	if end < 0 {
		end = len(data)
	}
	content := data[:end]
	v := bytes.Index(content, []byte("<v>"))
	if v < 0 {
		return 0, false
	}
	content = content[v+3:]
	if e := bytes.Index(content, []byte("</v>")); e >= 0 {
		content = content[:e]
	}
	n, err := strconv.Atoi(string(bytes.TrimSpace(content)))
	return n, err == nil
}
