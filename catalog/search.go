package catalog

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"villagebot/internal/pg"
)

// MaxQueryRunes is the longest search query.
const MaxQueryRunes = 100

// maxQueryWords is how many words of a query are looked for; the words
// after them are left out.
const maxQueryWords = 8

// typoSimilarity is the least trigram word similarity (pg_trgm) a word
// must have with a search text before Levenshtein distance decides
// whether the word is a typo of one of that text's words: "tee" has 0.5
// with "black tea", "cofee" 0.63 with "coffee beans".
const typoSimilarity = "0.5"

// Results are what a search found: the villages, and one page of the
// products, best first.
type Results struct {
	Villages []Village
	Products []Product
	// Total is how many products match in all; Products is the page of
	// them that was asked for.
	Total int
}

// More reports whether products remain after the page that starts at
// offset.
func (r Results) More(offset int) bool { return offset+len(r.Products) < r.Total }

// Search is SearchPage's first page: at most limit villages and limit
// products.
func (s *Store) Search(ctx context.Context, query string, limit int) (Results, error) {
	return s.SearchPage(ctx, query, 0, limit)
}

// SearchPage finds villages, and visible products, whose texts hold every
// word of query, in any language, and returns the villages and the
// products from offset on, at most limit of each (20 when limit is 0 or
// less, never more than 100). Villages come only with the first page
// (offset 0); Total counts every matching product.
//
// A village is searched by its code, names and regions; a product by its
// SKU, its names and its village's (so "博鳌" finds the villages of Boao
// and their products, "чай маона" Maona's tea). Texts are compared folded
// (search_fold in the database: case, accents, ё and е, traditional and
// simplified Chinese all alike). A word is looked for as typed, within
// other words too ("红茶" in "五指山红茶"); a word of three letters or more
// that is found nowhere in the catalog is taken for a typo and matches the
// words one or two edits away ("cofee", "tee"). The first eight words are
// looked for, the rest left out.
//
// Products come best first: an exact SKU, then those whose own names hold
// the most words, then those with the shortest search text (the words
// are more of it), then by SKU. An empty query, one longer than
// MaxQueryRunes or not UTF-8 is ErrInvalid; so is a negative offset.
func (s *Store) SearchPage(ctx context.Context, query string, offset, limit int) (res Results, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("catalog: search %.100q: %w", query, err)
		}
	}()
	words, err := queryWords(query)
	if err != nil {
		return Results{}, err
	}
	if offset < 0 {
		return Results{}, invalid("offset", "below zero")
	}
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 100)
	res = Results{Villages: []Village{}, Products: []Product{}}
	err = pg.Transact(ctx, s.db.DB, func(tx *sqlx.Tx) error {
		terms, err := searchTerms(ctx, tx, words)
		if err != nil || terms == nil {
			return err
		}
		if terms.fuzzy() {
			if _, err := tx.ExecContext(ctx, `SELECT set_config('pg_trgm.word_similarity_threshold', $1, true)`, typoSimilarity); err != nil {
				return err
			}
		}
		if err := terms.locate(ctx, tx); err != nil {
			return err
		}
		if offset == 0 {
			if err := terms.villages(ctx, tx, &res, limit); err != nil {
				return err
			}
		}
		return terms.products(ctx, tx, &res, strings.Join(words, " "), offset, limit)
	})
	if err != nil {
		return Results{}, err
	}
	return res, nil
}

// queryWords checks a query and splits it into its distinct words.
// Control characters (NUL among them) count as spaces.
func queryWords(query string) ([]string, error) {
	if !utf8.ValidString(query) {
		return nil, invalid("query", "not valid UTF-8")
	}
	q := normalizeText(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, query), false)
	switch {
	case q == "":
		return nil, invalid("query", "empty")
	case utf8.RuneCountInString(q) > MaxQueryRunes:
		return nil, invalid("query", "longer than 100 characters")
	}
	var words []string
	for _, w := range strings.Fields(q) {
		if len(words) < maxQueryWords && !slices.Contains(words, w) {
			words = append(words, w)
		}
	}
	return words, nil
}

// term is one word of a query as the database compares it.
type term struct {
	Folded  string // search_fold of the word
	Pattern string // LIKE pattern: the folded word anywhere
	Found   bool   // somewhere in the catalog as it is
	// Villages are the villages whose own search text holds the term.
	Villages pq.Int64Array
}

// word is the folded word without the punctuation around it ("tea?"
// is looked for as a typo of "tea").
func (t term) word() string {
	return strings.TrimFunc(t.Folded, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
}

// typo reports whether a word found nowhere is looked for as a typo: a
// word of at least three letters, none of them Han (a Chinese word has
// no spelling to get wrong, and no spaces to tell its words apart).
func (t term) typo() bool {
	w := t.word()
	if t.Found || utf8.RuneCountInString(w) < 3 {
		return false
	}
	for _, r := range w {
		if !unicode.IsLetter(r) || unicode.Is(unicode.Han, r) {
			return false
		}
	}
	return true
}

type terms []term

func (ts terms) fuzzy() bool {
	for _, t := range ts {
		if t.typo() {
			return true
		}
	}
	return false
}

// searchTerms folds the words and tells which are found somewhere in the
// catalog as they are. It returns nil when a word can match nothing, so
// neither can the query.
func searchTerms(ctx context.Context, tx *sqlx.Tx, words []string) (terms, error) {
	var folded []string
	err := tx.SelectContext(ctx, &folded, `SELECT search_fold(w.word)
		FROM unnest($1::text[]) WITH ORDINALITY AS w (word, i)
		ORDER BY w.i`, pq.StringArray(words))
	if err != nil {
		return nil, err
	}
	var ts terms
	var args sqlArgs
	var found []string
	for _, f := range folded {
		if f == "" || slices.ContainsFunc(ts, func(t term) bool { return t.Folded == f }) {
			continue
		}
		t := term{Folded: f, Pattern: "%" + escapeLike(f) + "%"}
		ts = append(ts, t)
		// A pattern given as a value lets the planner use the trigram index.
		pat := args.add(t.Pattern)
		found = append(found, `EXISTS (SELECT 1 FROM products p WHERE p.visible AND p.search_text LIKE `+pat+`)
			OR EXISTS (SELECT 1 FROM villages v WHERE v.search_text LIKE `+pat+`)`)
	}
	if len(ts) == 0 {
		return nil, nil
	}
	dest := make([]any, len(ts))
	for i := range ts {
		dest[i] = &ts[i].Found
	}
	if err := tx.QueryRowContext(ctx, `SELECT `+strings.Join(found, ", "), args...).Scan(dest...); err != nil {
		return nil, err
	}
	for _, t := range ts {
		if !t.Found && !t.typo() {
			return nil, nil
		}
	}
	return ts, nil
}

// sqlArgs collects the arguments of a query and names their placeholders.
type sqlArgs []any

func (a *sqlArgs) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// matches is the condition that the search text col holds the term: as
// it is, or, for a typo, a word near it.
func (t term) matches(col string, args *sqlArgs) string {
	if !t.typo() {
		return col + ` LIKE ` + args.add(t.Pattern)
	}
	w := args.add(t.word())
	return `(` + w + ` <% ` + col + ` AND search_near(` + w + `, ` + col + `))`
}

// folded is the query as the database compares it.
func (ts terms) folded() string {
	words := make([]string, len(ts))
	for i, t := range ts {
		words[i] = t.Folded
	}
	return strings.Join(words, " ")
}

// locate finds, for each term, the villages whose search text holds it.
// There are few villages; given to the product query as lists of ids,
// they leave each product condition one the planner can answer from the
// trigram index, and no condition at all for a term no village holds.
func (ts terms) locate(ctx context.Context, tx *sqlx.Tx) error {
	var args sqlArgs
	var lists []string
	dest := make([]any, len(ts))
	for i, t := range ts {
		lists = append(lists, `ARRAY(SELECT v.id FROM villages v WHERE `+t.matches("v.search_text", &args)+` ORDER BY v.id)`)
		dest[i] = &ts[i].Villages
	}
	return tx.QueryRowContext(ctx, `SELECT `+strings.Join(lists, ", "), args...).Scan(dest...)
}

// productWhere is the condition that a product p matches every term, in
// its own search text or its village's.
func (ts terms) productWhere(args *sqlArgs) string {
	var all []string
	for _, t := range ts {
		m := t.matches("p.search_text", args)
		if len(t.Villages) > 0 {
			m = `(` + m + ` OR p.village_id = ANY (` + args.add(t.Villages) + `))`
		}
		all = append(all, m)
	}
	return `p.visible AND ` + strings.Join(all, " AND ")
}

// ownTerms is the number of terms a product's own search text holds (for
// a typo, by trigrams alone: productWhere has checked the spelling).
func (ts terms) ownTerms(args *sqlArgs) string {
	var own []string
	for _, t := range ts {
		if t.typo() {
			own = append(own, `(`+args.add(t.word())+` <% p.search_text)::int`)
		} else {
			own = append(own, `(p.search_text LIKE `+args.add(t.Pattern)+`)::int`)
		}
	}
	return strings.Join(own, " + ")
}

// villages are those that hold every term.
func (ts terms) villages(ctx context.Context, tx *sqlx.Tx, res *Results, limit int) error {
	ids := ts[0].Villages
	for _, t := range ts[1:] {
		ids = slices.DeleteFunc(slices.Clone(ids), func(id int64) bool { return !slices.Contains(t.Villages, id) })
	}
	if len(ids) == 0 {
		return nil
	}
	return tx.SelectContext(ctx, &res.Villages, `SELECT `+villageColumns+`
		FROM villages v
		WHERE v.id = ANY ($1)
		ORDER BY word_similarity($2, v.search_text) DESC, v.code
		LIMIT $3`, pq.Int64Array(ids), ts.folded(), limit)
}

func (ts terms) products(ctx context.Context, tx *sqlx.Tx, res *Results, query string, offset, limit int) error {
	var args sqlArgs
	where, own := ts.productWhere(&args), ts.ownTerms(&args)
	var rows []struct {
		Product
		Total int `db:"total"`
	}
	err := tx.SelectContext(ctx, &rows, `SELECT `+productColumns+`, count(*) OVER () AS total`+productFrom+`
		WHERE `+where+`
		ORDER BY lower(p.sku) = lower(`+args.add(query)+`) DESC,
			`+own+` DESC,
			char_length(p.search_text),
			p.sku
		LIMIT `+args.add(limit)+` OFFSET `+args.add(offset), args...)
	if err != nil {
		return err
	}
	for _, r := range rows {
		res.Products = append(res.Products, r.Product)
		res.Total = r.Total
	}
	if len(rows) > 0 || offset == 0 {
		return nil
	}
	// Past the last page: count what there is.
	args = nil
	where = ts.productWhere(&args)
	return tx.GetContext(ctx, &res.Total, `SELECT count(*)`+productFrom+` WHERE `+where, args...)
}

// escapeLike escapes the LIKE wildcards % and _ and the escape character
// (a backslash, LIKE's default).
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
