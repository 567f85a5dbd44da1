package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/redis/go-redis/v9"

	"villagebot/catalog"
	"villagebot/internal/pg"
	"villagebot/migrations"
)

// env is what the bot stands on for one run: a database of its own on the
// PostgreSQL server and a key prefix of its own in Redis. close drops the
// database and deletes the keys.
type env struct {
	dbName   string
	dbURL    string // of the run's database
	admin    *sqlx.DB
	db       *sqlx.DB
	catalog  *catalog.Store
	rdb      *redis.Client
	redisURL string
	prefix   string

	// checkout are the SKUs checkouts order: 20 products, or one with -hot.
	checkout []string
}

// loadStock is the stock every checkout product gets, so that a run
// measures ordering, not selling out.
const loadStock = 1_000_000

func newEnv(ctx context.Context, c Config) (*env, error) {
	e := &env{redisURL: c.RedisURL}
	if err := e.open(ctx, c); err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

func (e *env) open(ctx context.Context, c Config) error {
	server, err := url.Parse(c.DatabaseURL)
	if err != nil {
		return fmt.Errorf("-database-url: %w", err)
	}
	if e.admin, err = pg.Open(ctx, c.DatabaseURL); err != nil {
		return err
	}
	e.dbName = "villageload_" + randomHex(6)
	if _, err := e.admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(e.dbName)); err != nil {
		e.dbName = ""
		return fmt.Errorf("create database: %w", err)
	}
	u := *server
	u.Path = "/" + e.dbName
	e.dbURL = u.String()
	if e.db, err = pg.Open(ctx, e.dbURL); err != nil {
		return err
	}
	if _, err := migrations.Up(ctx, e.db.DB); err != nil {
		return err
	}
	e.catalog = catalog.NewStore(e.db)
	if _, err := e.catalog.LoadDemo(ctx); err != nil {
		return err
	}
	if e.checkout, err = loadProducts(ctx, e.catalog, c.Hot); err != nil {
		return err
	}

	opt, err := redis.ParseURL(c.RedisURL)
	if err != nil {
		return fmt.Errorf("-redis-url: %w", err)
	}
	e.rdb = redis.NewClient(opt)
	if err := e.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	e.prefix = "villageload:" + randomHex(6) + ":"
	return nil
}

// loadProducts tops the demo catalog's visible products up to 20 and gives
// the ones checkouts order a stock that does not run out: all 20, or with
// hot only the first.
func loadProducts(ctx context.Context, store *catalog.Store, hot bool) ([]string, error) {
	villages, err := store.Villages(ctx)
	if err != nil {
		return nil, err
	}
	all, err := store.Products(ctx)
	if err != nil {
		return nil, err
	}
	var skus []string
	for _, p := range all {
		if p.Visible {
			skus = append(skus, p.SKU)
		}
	}
	cats := catalog.Categories
	for i := 0; len(skus) < 20; i++ {
		n := i + 1
		p, err := store.CreateProduct(ctx, catalog.Product{
			SKU:       fmt.Sprintf("LOAD-%02d", n),
			VillageID: villages[i%len(villages)].ID,
			Category:  cats[i%len(cats)],
			Name: catalog.Texts{
				"en": fmt.Sprintf("Village Sampler No. %d", n),
				"zh": fmt.Sprintf("乡村特产礼盒 %d 号", n),
				"ru": fmt.Sprintf("Деревенский набор № %d", n),
			},
			Unit:    catalog.Texts{"en": "box", "zh": "盒", "ru": "коробка"},
			Story:   catalog.Texts{"en": "A box of the village's best, packed for the load test.", "zh": "村里最好的东西，装成一盒。"},
			Price:   catalog.Money(1000 + 500*n),
			Stock:   100,
			Visible: true,
		}, "villageload")
		if err != nil {
			return nil, err
		}
		skus = append(skus, p.SKU)
	}
	if hot {
		skus = []string{"XL-COFFEE"}
	}
	for _, sku := range skus {
		if _, err := store.SetStock(ctx, sku, loadStock, "villageload"); err != nil {
			return nil, err
		}
	}
	return skus, nil
}

// sessions counts the sessions kept under the run's prefix and the bytes
// Redis holds for them (MEMORY USAGE of up to 200 of them, scaled).
func (e *env) sessions(ctx context.Context) (n int, bytes int64, err error) {
	var sampled, sampledBytes int64
	iter := e.rdb.Scan(ctx, 0, e.prefix+"session:*", 1000).Iterator()
	for iter.Next(ctx) {
		n++
		if sampled < 200 {
			if b, err := e.rdb.MemoryUsage(ctx, iter.Val()).Result(); err == nil {
				sampled, sampledBytes = sampled+1, sampledBytes+b
			}
		}
	}
	if sampled > 0 {
		bytes = sampledBytes * int64(n) / sampled
	}
	return n, bytes, iter.Err()
}

// close drops the database and deletes the run's Redis keys.
func (e *env) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if e.rdb != nil && e.prefix != "" {
		iter := e.rdb.Scan(ctx, 0, e.prefix+"*", 1000).Iterator()
		var batch []string
		for iter.Next(ctx) {
			batch = append(batch, iter.Val())
			if len(batch) == 1000 {
				e.rdb.Unlink(ctx, batch...)
				batch = batch[:0]
			}
		}
		if len(batch) > 0 {
			e.rdb.Unlink(ctx, batch...)
		}
		e.rdb.Close()
	}
	if e.db != nil {
		e.db.Close()
	}
	if e.admin != nil {
		if e.dbName != "" {
			e.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(e.dbName)+" WITH (FORCE)")
		}
		e.admin.Close()
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
