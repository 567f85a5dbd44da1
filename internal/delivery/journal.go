package delivery

import (
	"context"

	"villagebot/internal/telegram"
)

// Telegram keeps an update until a getUpdates call asks for a later
// offset, and the next batch only comes with that later offset. A poller
// that confirms an update only once it is handled fetches every update in
// hand again on each call (up to 100 of them, mostly waste) and sees
// nothing new while its 100 oldest are in hand. A poller that confirms on
// fetching loses what it held when it dies.
//
// The journal is the way between: fetched updates are written to Redis
// first, in one call per batch, and confirmed at once; a handled one is
// taken out of the journal with the next batch. A process that starts
// handles what the journal holds (updates handled before are skipped by
// the handled marks). When the journal cannot be written, the poller
// falls back to confirming updates once handled.

// RawUpdate is an update as fetched: its id, and the rest still encoded.
type RawUpdate = telegram.RawUpdate

// UpdateJournal keeps the fetched, unhandled updates of a poller where the
// next process to poll finds them.
type UpdateJournal interface {
	// Sync adds keep and removes the updates done, in one step.
	Sync(ctx context.Context, keep []RawUpdate, done []int) error
	// Pending returns the updates kept, lowest id first.
	Pending(ctx context.Context) ([]RawUpdate, error)
}
