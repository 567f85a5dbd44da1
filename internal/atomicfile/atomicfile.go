// Package atomicfile writes a file so that it is either written whole or
// not at all: through a temporary file in the same directory, renamed into
// place only when writing succeeded. A failed export never leaves half a
// file, nor replaces a good one.
package atomicfile

import (
	"io"
	"os"
	"path/filepath"
)

// Write writes path with write, atomically, with mode 0644.
func Write(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
