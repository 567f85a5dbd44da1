package migrations_test

import (
	"context"
	"testing"

	"villagebot/internal/pgtest"
	"villagebot/migrations"
)

func TestUpIsIdempotent(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	ctx := context.Background()
	v, err := migrations.Up(ctx, db.DB)
	if err != nil {
		t.Fatal(err)
	}
	if v < 1 {
		t.Fatalf("schema version = %d, want >= 1", v)
	}
	pending, err := migrations.Pending(ctx, db.DB)
	if err != nil || pending {
		t.Fatalf("Pending() = %v, %v; want false, nil", pending, err)
	}
}
