package delivery

import (
	"context"
	"errors"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// ChatQueue holds, for each chat, the updates a process took in and none
// has handled yet, where every process sees them; a process handles them
// one at a time under the chat's lock, lowest update_id first. Taking an
// update takes the lock, and releasing it gives the lock back, each in
// the same step: the lock is the one the ChatLocker takes, so that a
// drain and an update handled under Locker.Lock exclude each other.
type ChatQueue interface {
	// Push adds an update, as the JSON Telegram sent, to the chat's queue
	// (adding one with the same update_id again changes nothing); it
	// fails with ErrBacklog when too many of the chat's updates wait.
	Push(ctx context.Context, chatID int64, updateID int, update []byte) error
	// Take takes the chat's lock and the chat's waiting update with the
	// lowest update_id, waiting until the lock is free or ctx ends. ok is
	// false when none waits; then it holds no lock.
	Take(ctx context.Context, chatID int64) (t Taken, ok bool, err error)
	// Release removes t's update, every copy of it, from the chat's
	// queue, records progress on the chat and gives the lock back if it
	// still holds t's token. more reports whether updates still wait.
	Release(ctx context.Context, t Taken) (more bool, err error)
	// Stale names up to limit chats whose queue has gone a while without
	// progress (the process that took their updates in may have died),
	// each at most once in that while.
	Stale(ctx context.Context, limit int) ([]int64, error)
}

// Taken is an update taken from a chat's queue: its holder holds the
// chat's lock until it releases it.
type Taken struct {
	ChatID int64
	Update tgbotapi.Update
	// Token is the lock's, for the queue to give back only its own.
	Token string
}

// ErrBacklog is a chat with too many updates waiting.
var ErrBacklog = errors.New("too many updates waiting in the chat")
