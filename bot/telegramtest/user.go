package telegramtest

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// UserConfig describes a simulated Telegram user.
type UserConfig struct {
	ID           int64
	FirstName    string
	LastName     string
	Username     string
	LanguageCode string // as Telegram reports it, e.g. "en", "zh", "ru"
	// Phone is shared by ShareContact; by default it is made up from the ID.
	Phone string
	// Started means the user opened the bot before the test began, so the
	// bot may write first. Otherwise the bot gets 403 until the user writes.
	Started bool
}

// User is a simulated Telegram user in a private chat with the bot. The
// chat's id is the user's id, as in Telegram.
type User struct {
	s    *Server
	cfg  UserConfig
	chat *chat
}

// User returns the user with this id, creating them on first use.
func (s *Server) User(id int64, firstName, languageCode string) *User {
	return s.AddUser(UserConfig{ID: id, FirstName: firstName, LanguageCode: languageCode})
}

// AddUser creates a user; if one with cfg.ID exists it is returned as it is.
func (s *Server) AddUser(cfg UserConfig) *User {
	if cfg.ID <= 0 {
		panic("telegramtest: a user id must be positive")
	}
	if cfg.FirstName == "" {
		cfg.FirstName = "User" + strconv.FormatInt(cfg.ID, 10)
	}
	if cfg.Phone == "" {
		cfg.Phone = fmt.Sprintf("+861%010d", cfg.ID%1e10)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[cfg.ID]; u != nil {
		return u
	}
	u := &User{s: s, cfg: cfg}
	u.chat = newChat(cfg.ID, u, cfg.Started)
	s.users[cfg.ID] = u
	s.chats[cfg.ID] = u.chat
	return u
}

// ID is the user's (and their chat's) id.
func (u *User) ID() int64 { return u.cfg.ID }

// Config returns the user's settings.
func (u *User) Config() UserConfig { return u.cfg }

func (u *User) String() string {
	return fmt.Sprintf("user %d (%s)", u.cfg.ID, u.cfg.FirstName)
}

func (u *User) wire() wireUser {
	return wireUser{
		ID:           u.cfg.ID,
		FirstName:    u.cfg.FirstName,
		LastName:     u.cfg.LastName,
		Username:     u.cfg.Username,
		LanguageCode: u.cfg.LanguageCode,
	}
}

// Block makes the bot's messages to this user fail with 403 "Forbidden: bot
// was blocked by the user" until the user writes again or Unblock.
func (u *User) Block() {
	c := u.chat
	c.mu.Lock()
	c.blocked = true
	c.mu.Unlock()
}

// Unblock undoes Block.
func (u *User) Unblock() {
	c := u.chat
	c.mu.Lock()
	c.blocked = false
	c.mu.Unlock()
}

// post stores a message from the user and queues the update for the bot.
// c.mu must not be held.
func (u *User) post(m *message) int {
	c, s := u.chat, u.s
	if c.group != nil {
		m.from = u
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.started, c.blocked = true, false
	c.add(m, s.now())
	c.userActed()
	w := s.wireMessage(c, m)
	s.events.publish(Event{Kind: UserMessage, ChatID: c.id, Message: m.view})
	return s.updates.enqueue("message", c.id, func(id int) any {
		return wireUpdate{UpdateID: id, Message: w}
	})
}

var commandRe2 = regexp.MustCompile(`^/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,64})?$`)

// commandEntity gives a text that starts with a command ("/start",
// "/start payload", "/stock@bot") its bot_command entity, as Telegram does.
func commandEntity(text string) []entity {
	word := text
	if i := strings.IndexFunc(text, func(r rune) bool { return r == ' ' || r == '\n' || r == '\t' }); i >= 0 {
		word = text[:i]
	}
	if !commandRe2.MatchString(word) {
		return nil
	}
	return []entity{{Type: "bot_command", Offset: 0, Length: utf16Len(word)}}
}

// Send sends a text message to the bot and returns its update_id.
func (u *User) Send(text string) int {
	return u.post(&message{
		view:     Message{Text: text, HTML: text},
		entities: commandEntity(text),
	})
}

// SendContact shares a contact with the given phone number as the user's own
// (user_id set), as the "share my phone" button does.
func (u *User) SendContact(phone string) int {
	ct := &wireContact{PhoneNumber: phone, FirstName: u.cfg.FirstName, LastName: u.cfg.LastName, UserID: u.cfg.ID}
	return u.post(&message{
		view:    Message{Contact: &Contact{PhoneNumber: phone, FirstName: ct.FirstName, LastName: ct.LastName, UserID: ct.UserID}},
		contact: ct,
	})
}

// SendPhoto sends a photo (JPEG, PNG or GIF bytes; see JPEG) with a caption.
// The bot gets a PhotoSize array whose file_ids work with getFile and
// sendPhoto.
func (u *User) SendPhoto(caption string, data []byte) int {
	w, h := 1280, 960
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil {
		w, h = cfg.Width, cfg.Height
	}
	sizes := u.s.files.putPhoto(data, "", w, h)
	return u.post(&message{
		view:            Message{Photo: sizes[len(sizes)-1].FileID, Caption: caption, CaptionHTML: caption},
		photo:           sizes,
		captionEntities: commandEntity(caption),
	})
}

// SendDocument sends a file, such as a spreadsheet, with a caption.
func (u *User) SendDocument(fileName, mimeType string, data []byte, caption string) int {
	if mimeType == "" {
		mimeType = detectMime(fileName, "", data)
	}
	f := u.s.files.putDocument(data, "", fileName, mimeType)
	return u.post(&message{
		view: Message{
			Document:    &Document{FileID: f.id, FileName: f.name, MimeType: f.mime, Data: f.data},
			Caption:     caption,
			CaptionHTML: caption,
		},
		doc:             f.wireDocument(),
		captionEntities: commandEntity(caption),
	})
}

// Press presses the inline button labelled exactly label on the newest bot
// message that has one, and returns the callback query's id.
func (u *User) Press(label string) (string, error) {
	c := u.chat
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range slices.Backward(c.msgs) {
		if m.deleted || !m.view.FromBot {
			continue
		}
		for _, row := range m.view.InlineKeyboard {
			for _, b := range row {
				if b.Text != label {
					continue
				}
				if b.CallbackData == "" {
					return "", fmt.Errorf("telegramtest: %s: button %q on message #%d opens %q, it has no callback data", u, label, m.view.ID, b.URL)
				}
				return u.press(m, b.CallbackData), nil
			}
		}
	}
	return "", fmt.Errorf("telegramtest: %s: no inline button %q; the chat shows:\n%s", u, label, render(c.snapshot()))
}

// PressData sends a callback query with any data from the bot message
// messageID, as a forged or stale client could: the data need not be on any
// button.
func (u *User) PressData(messageID int, data string) (string, error) {
	c := u.chat
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.byID[messageID]
	if m == nil || m.deleted || !m.view.FromBot {
		return "", fmt.Errorf("telegramtest: %s: no bot message #%d in the chat", u, messageID)
	}
	return u.press(m, data), nil
}

// press queues a callback query. c.mu must be held.
func (u *User) press(m *message, data string) string {
	c, s := u.chat, u.s
	id := strconv.FormatUint(randUint64(), 10)
	q := &callbackQuery{
		CallbackQuery: CallbackQuery{ID: id, UserID: u.cfg.ID, MessageID: m.view.ID, Data: data, Sent: s.now()},
		chat:          c,
	}
	s.callbacks.add(q)
	c.userActed()
	w := &wireCallbackQuery{
		ID:           id,
		From:         u.wire(),
		Message:      s.wireMessage(c, m),
		ChatInstance: c.instance,
		Data:         data,
	}
	s.updates.enqueue("callback_query", c.id, func(updateID int) any {
		return wireUpdate{UpdateID: updateID, CallbackQuery: w}
	})
	return id
}

// PressKey presses a button of the reply keyboard the bot shows now; it
// sends the button's text, or the user's contact for a request_contact
// button. It fails when no such button is shown.
func (u *User) PressKey(label string) (int, error) {
	c := u.chat
	c.mu.Lock()
	kb := c.keyboard
	var found *KeyboardButton
	if kb != nil {
		for _, row := range kb.rows {
			for i := range row {
				if row[i].Text == label && found == nil {
					found = &row[i]
				}
			}
		}
	}
	if found != nil && kb.oneTime {
		c.keyboard = nil
	}
	shown := c.snapshot()
	c.mu.Unlock()
	switch {
	case found == nil:
		return 0, fmt.Errorf("telegramtest: %s: no reply keyboard button %q; keyboard %v; the chat shows:\n%s", u, label, keyboardLabels(kb), render(shown))
	case found.RequestContact:
		return u.SendContact(u.cfg.Phone), nil
	}
	return u.Send(label), nil
}

// ShareContact presses the reply keyboard's request_contact button; it
// fails when the bot shows none.
func (u *User) ShareContact() (int, error) {
	c := u.chat
	c.mu.Lock()
	var label string
	if c.keyboard != nil {
		for _, row := range c.keyboard.rows {
			for _, b := range row {
				if b.RequestContact && label == "" {
					label = b.Text
				}
			}
		}
	}
	c.mu.Unlock()
	if label == "" {
		return 0, fmt.Errorf("telegramtest: %s: the bot shows no button that shares the contact", u)
	}
	return u.PressKey(label)
}

// Keyboard returns the reply keyboard the bot shows the user now, nil for
// none.
func (u *User) Keyboard() [][]KeyboardButton {
	c := u.chat
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keyboard == nil {
		return nil
	}
	return c.keyboard.rows
}

func keyboardLabels(kb *replyKeyboard) []string {
	if kb == nil {
		return nil
	}
	var out []string
	for _, row := range kb.rows {
		for _, b := range row {
			out = append(out, b.Text)
		}
	}
	return out
}

// Messages returns the chat as the user sees it: every message in order,
// edits applied, deleted ones gone.
func (u *User) Messages() []Message {
	c := u.chat
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.snapshot()
}

// Last returns the newest message from the bot.
func (u *User) Last() (Message, bool) {
	c := u.chat
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range slices.Backward(c.msgs) {
		if !m.deleted && m.view.FromBot {
			return m.view, true
		}
	}
	return Message{}, false
}

// CallbackAnswers returns the bot's answers to this user's button presses.
func (u *User) CallbackAnswers() []CallbackAnswer {
	c := u.chat
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.answers)
}

// ChatAction returns the last chat action ("typing", "upload_document"…)
// the bot sent to this chat.
func (u *User) ChatAction() string {
	c := u.chat
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastAction
}

// errClosed is returned by waits when the server closes.
var errClosed = errors.New("telegramtest: server closed")

// wait calls done under the chat's lock after every change until it
// returns true, the timeout passes or the server closes.
func (u *User) wait(timeout time.Duration, done func(c *chat) bool) error {
	c, s := u.chat, u.s
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		c.mu.Lock()
		ok := done(c)
		changed := c.changed
		c.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-changed:
		case <-timer.C:
			return fmt.Errorf("telegramtest: %s: gave up after %v", u, timeout)
		case <-s.done:
			return errClosed
		}
	}
}

// WaitFor waits until cond holds for the chat as the user sees it, and
// returns that view. On timeout the error shows the chat.
func (u *User) WaitFor(timeout time.Duration, cond func([]Message) bool) ([]Message, error) {
	var msgs []Message
	err := u.wait(timeout, func(c *chat) bool {
		msgs = c.snapshot()
		return cond(msgs)
	})
	if err != nil {
		return msgs, fmt.Errorf("%w waiting for a condition; the chat shows:\n%s", err, render(msgs))
	}
	return msgs, nil
}

// WaitText waits for a bot message containing substring (in its text or
// caption) that was sent or edited after the user's latest action (Send,
// Press, …), and returns the one changed last. Bot output that was already
// there before that action does not count, so a test never passes on a
// stale screen. It costs the same however long the chat is.
func (u *User) WaitText(timeout time.Duration, substring string) (Message, error) {
	var found Message
	err := u.wait(timeout, func(c *chat) bool {
		for _, m := range slices.Backward(c.sinceAction) {
			if m.deleted {
				continue
			}
			if strings.Contains(m.view.Text, substring) || strings.Contains(m.view.Caption, substring) {
				found = m.view
				return true
			}
		}
		return false
	})
	if err != nil {
		return Message{}, fmt.Errorf("%w waiting for a bot message with %q after the user's last action; the chat shows:\n%s", err, substring, render(u.Messages()))
	}
	return found, nil
}

// WaitAnswer waits for the bot's answer to the callback query queryID.
func (u *User) WaitAnswer(queryID string, timeout time.Duration) (CallbackAnswer, error) {
	var found CallbackAnswer
	err := u.wait(timeout, func(c *chat) bool {
		for _, a := range c.answers {
			if a.QueryID == queryID {
				found = a
				return true
			}
		}
		return false
	})
	if err != nil {
		return CallbackAnswer{}, fmt.Errorf("%w waiting for the answer to callback query %s", err, queryID)
	}
	return found, nil
}

// render shows the end of a chat for error messages.
func render(msgs []Message) string {
	const show = 8
	var b strings.Builder
	if len(msgs) > show {
		fmt.Fprintf(&b, "\t… %d earlier messages\n", len(msgs)-show)
		msgs = msgs[len(msgs)-show:]
	}
	if len(msgs) == 0 {
		b.WriteString("\t(no messages)\n")
	}
	for _, m := range msgs {
		b.WriteString("\t")
		b.WriteString(strings.ReplaceAll(m.String(), "\n", "\n\t"))
		b.WriteString("\n")
	}
	return b.String()
}
