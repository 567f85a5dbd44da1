package catalog

import (
	"bytes"
	"context"
	"embed"
	"fmt"
)

//go:embed demo/villages.csv demo/products.csv
var demoFiles embed.FS

// Demo returns the built-in demo catalog of SPEC §9: villages of Hainan and
// their products, in Chinese, English and Russian. It is kept as two CSV
// files in the import format and parsed like any upload.
func Demo() (*Batch, error) {
	p := newParser(context.Background()) // built in: small and trusted
	for _, name := range []string{"villages.csv", "products.csv"} {
		data, err := demoFiles.ReadFile("demo/" + name)
		if err != nil {
			return nil, fmt.Errorf("catalog: demo: %w", err)
		}
		p.read(name, bytes.NewReader(data))
	}
	b, err := p.result()
	if err != nil {
		return nil, fmt.Errorf("catalog: demo: %w", err)
	}
	return b, nil
}

// LoadDemo imports the demo catalog with actor "demo". Loading it again
// changes nothing, unless the catalog was changed since.
func (s *Store) LoadDemo(ctx context.Context) (ImportResult, error) {
	b, err := Demo()
	if err != nil {
		return ImportResult{}, err
	}
	return s.Import(ctx, b, ImportOptions{Actor: "demo"})
}
