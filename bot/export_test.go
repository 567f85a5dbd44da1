package bot

import "context"

// TypedSessions is the bot's view of a Sessions, in Session values, for
// the tests of bot_test.
func TypedSessions(s Sessions) interface {
	Load(ctx context.Context, chatID int64) (Session, error)
	Save(ctx context.Context, chatID int64, s Session) error
} {
	return sessionStore{s}
}
