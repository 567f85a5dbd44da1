package catalog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// MaxQueryRunes is the longest search query.
const MaxQueryRunes = 100

// Results are what a search found.
type Results struct {
	Villages []Village
	Products []Product
}

// Search finds villages whose name, and visible products whose name or
// SKU, holds query, ignoring case, in any language. At most limit of each
// are returned (20 when limit is 0 or less, never more than 100): exact
// SKU matches first, then names that start with the query, then by code or
// SKU. An empty query, or one longer than MaxQueryRunes, is ErrInvalid.
//
// Matching is a scan of the names with LIKE, which takes well under a
// millisecond per thousand products; case folding is PostgreSQL's lower(),
// so the database needs a UTF-8 aware ctype (C.UTF-8 or any UTF-8 locale)
// for Cyrillic and other scripts.
func (s *Store) Search(ctx context.Context, query string, limit int) (Results, error) {
	q := normalizeText(query, false)
	switch {
	case q == "":
		return Results{}, fmt.Errorf("catalog: search: %w", invalid("query", "empty"))
	case !utf8.ValidString(q):
		return Results{}, fmt.Errorf("catalog: search: %w", invalid("query", "not valid UTF-8"))
	case utf8.RuneCountInString(q) > MaxQueryRunes:
		return Results{}, fmt.Errorf("catalog: search: %w", invalid("query", "longer than 100 characters"))
	}
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 100)
	lower := strings.ToLower(q)
	contains := "%" + escapeLike(lower) + "%"
	prefix := escapeLike(lower) + "%"

	// The two queries run at once, on two connections: a search waits for
	// the slower one rather than for both in turn.
	res := Results{Villages: []Village{}, Products: []Product{}}
	var villagesErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		villagesErr = s.db.SelectContext(ctx, &res.Villages, `SELECT `+villageColumns+`
			FROM villages v
			WHERE EXISTS (SELECT 1 FROM jsonb_each_text(v.names) t WHERE lower(t.value) LIKE $1 ESCAPE '\')
			ORDER BY EXISTS (SELECT 1 FROM jsonb_each_text(v.names) t WHERE lower(t.value) LIKE $2 ESCAPE '\') DESC,
				v.code
			LIMIT $3`, contains, prefix, limit)
	})
	err := s.db.SelectContext(ctx, &res.Products, `SELECT `+productColumns+productFrom+`
		WHERE p.visible AND (lower(p.sku) LIKE $1 ESCAPE '\'
			OR (($5 OR lower(p.names::text) LIKE $1 ESCAPE '\')
				AND EXISTS (SELECT 1 FROM jsonb_each_text(p.names) t WHERE lower(t.value) LIKE $1 ESCAPE '\')))
		ORDER BY lower(p.sku) = $3 DESC,
			EXISTS (SELECT 1 FROM jsonb_each_text(p.names) t WHERE lower(t.value) LIKE $2 ESCAPE '\') DESC,
			p.sku
		LIMIT $4`, contains, prefix, lower, limit, !jsonVerbatim(lower))
	wg.Wait()
	if err = errors.Join(villagesErr, err); err != nil {
		return Results{}, fmt.Errorf("catalog: search %q: %w", q, err)
	}
	return res, nil
}

// escapeLike escapes the LIKE wildcards % and _ and the escape character.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// jsonVerbatim reports whether s appears as itself in the JSON text of a
// string that holds it, so that matching the whole names object as text
// can rule rows out before each name is matched on its own.
func jsonVerbatim(s string) bool {
	for _, r := range s {
		if r == '"' || r == '\\' || r < 0x20 {
			return false
		}
	}
	return true
}
