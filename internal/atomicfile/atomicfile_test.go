package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteReplacesWholeOrNotAtAll(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "orders.csv")
	if err := os.WriteFile(path, []byte("the last good export"), 0o644); err != nil {
		t.Fatal(err)
	}
	errBroken := errors.New("broken")
	err := Write(path, func(w io.Writer) error {
		io.WriteString(w, "half an export")
		return errBroken
	})
	if !errors.Is(err, errBroken) {
		t.Errorf("Write = %v, want the writer's error", err)
	}
	t.Run("keeps the old file when writing fails", func(t *testing.T) {
		if data, _ := os.ReadFile(path); string(data) != "the last good export" {
			t.Errorf("file holds %q", data)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("%d files in the directory, want 1", len(entries))
		}
	})
	t.Run("replaces it when writing succeeds", func(t *testing.T) {
		if err := Write(path, func(w io.Writer) error {
			_, err := io.WriteString(w, "a new export")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if data, _ := os.ReadFile(path); string(data) != "a new export" {
			t.Errorf("file holds %q", data)
		}
	})
}
