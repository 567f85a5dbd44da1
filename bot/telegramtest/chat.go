package telegramtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Message is a message as the user sees it in the chat.
type Message struct {
	ID      int
	FromBot bool
	Date    time.Time
	// Text is what the user reads: tags removed, character references
	// decoded, surrounding white space trimmed. HTML is the text as the bot
	// sent it (for ParseMode "HTML", the markup).
	Text      string
	HTML      string
	ParseMode string
	// Caption and CaptionHTML are the same for a photo's or document's caption.
	Caption     string
	CaptionHTML string
	// Photo is the file_id of the largest size of a photo, "" for none.
	Photo    string
	Document *Document
	Contact  *Contact
	// InlineKeyboard is the inline keyboard under the message.
	InlineKeyboard [][]Button
	// ReplyKeyboard is the reply keyboard this message brought up, and
	// RemoveKeyboard tells that it took the previous one down.
	ReplyKeyboard  [][]KeyboardButton
	RemoveKeyboard bool
	ReplyTo        int // the message this one replies to, 0 for none
	EditCount      int
	// Invoice is an invoice the bot sent, SuccessfulPayment the service
	// message of a payment the user made (see payment.go).
	Invoice           *Invoice
	SuccessfulPayment *SuccessfulPayment
}

// Button is an inline keyboard button.
type Button struct {
	Text         string
	CallbackData string
	URL          string
}

// KeyboardButton is a reply keyboard button.
type KeyboardButton struct {
	Text            string
	RequestContact  bool
	RequestLocation bool
}

// Document is a file sent as a document. Data is nil for a document the bot
// sent by URL (the server never fetches URLs). Treat Data as read-only.
type Document struct {
	FileID   string
	FileName string
	MimeType string
	Data     []byte
}

// Contact is a shared phone contact.
type Contact struct {
	PhoneNumber string
	FirstName   string
	LastName    string
	UserID      int64
}

// Buttons lists the labels of the inline buttons, row by row.
func (m Message) Buttons() []string {
	var labels []string
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			labels = append(labels, b.Text)
		}
	}
	return labels
}

func (m Message) String() string {
	var b strings.Builder
	who := "user"
	if m.FromBot {
		who = "bot"
	}
	fmt.Fprintf(&b, "#%d %s:", m.ID, who)
	if m.Photo != "" {
		b.WriteString(" [photo]")
	}
	if m.Document != nil {
		fmt.Fprintf(&b, " [document %s]", m.Document.FileName)
	}
	if m.Contact != nil {
		fmt.Fprintf(&b, " [contact %s]", m.Contact.PhoneNumber)
	}
	if m.Invoice != nil {
		fmt.Fprintf(&b, " [invoice %q %d %s]", m.Invoice.Title, m.Invoice.TotalAmount, m.Invoice.Currency)
	}
	if m.SuccessfulPayment != nil {
		fmt.Fprintf(&b, " [paid %d %s]", m.SuccessfulPayment.TotalAmount, m.SuccessfulPayment.Currency)
	}
	if m.Text != "" {
		fmt.Fprintf(&b, " %q", m.Text)
	}
	if m.Caption != "" {
		fmt.Fprintf(&b, " %q", m.Caption)
	}
	for _, row := range m.InlineKeyboard {
		labels := make([]string, len(row))
		for i, btn := range row {
			labels[i] = btn.Text
		}
		fmt.Fprintf(&b, "\n\t[%s]", strings.Join(labels, " | "))
	}
	for _, row := range m.ReplyKeyboard {
		labels := make([]string, len(row))
		for i, btn := range row {
			labels[i] = btn.Text
		}
		fmt.Fprintf(&b, "\n\t{%s}", strings.Join(labels, " | "))
	}
	if m.EditCount > 0 {
		fmt.Fprintf(&b, " (edited %d×)", m.EditCount)
	}
	return b.String()
}

// chat is one conversation. Everything in it is guarded by mu; the server's
// map of chats only hands out the pointer.
type chat struct {
	mu       sync.Mutex
	id       int64
	user     *User
	instance string // chat_instance of callback queries from this chat

	started bool // the user wrote to the bot, so the bot may write back
	blocked bool

	msgs   []*message
	byID   map[int]*message
	lastID int

	seq     uint64 // bumped on every change the user can see
	changed chan struct{}
	// sinceAction lists the bot messages sent or edited since the user's
	// latest action, oldest change first (WaitText reads it).
	sinceAction []*message

	group      *groupInfo     // a group chat's kind and title; nil: a private chat
	keyboard   *replyKeyboard // the reply keyboard shown now, nil for none
	answers    []CallbackAnswer
	lastAction string
}

type replyKeyboard struct {
	rows    [][]KeyboardButton
	oneTime bool
}

// message is the stored form of a message; view is kept up to date and
// copied out to readers. Slices in view are replaced, never modified.
type message struct {
	view     Message
	deleted  bool
	date     int64
	editDate int64

	entities        []entity
	captionEntities []entity
	photo           []wirePhotoSize
	doc             *wireDocument
	contact         *wireContact
	inline          json.RawMessage // canonical inline keyboard markup
	replyTo         *message
	from            *User // the member who wrote it in a group; nil: the chat's user or the bot
}

func newChat(id int64, u *User, started bool) *chat {
	return &chat{
		id:       id,
		user:     u,
		instance: strconv.FormatUint(randUint64(), 10),
		started:  started,
		byID:     map[int]*message{},
		changed:  make(chan struct{}),
	}
}

// touch records a change and wakes every waiter. c.mu must be held.
func (c *chat) touch() {
	c.seq++
	close(c.changed)
	c.changed = make(chan struct{})
}

// maxSinceAction bounds sinceAction for users who never act.
const maxSinceAction = 1000

// add stores a new message with the chat's next id. c.mu must be held.
func (c *chat) add(m *message, now time.Time) {
	c.lastID++
	m.view.ID = c.lastID
	m.view.Date = now
	m.date = now.Unix()
	c.msgs = append(c.msgs, m)
	c.byID[m.view.ID] = m
	c.touch()
	if m.view.FromBot {
		c.botChanged(m)
	}
}

// botChanged notes a bot message sent or edited. c.mu must be held.
func (c *chat) botChanged(m *message) {
	if len(c.sinceAction) >= maxSinceAction {
		c.sinceAction = slices.Delete(c.sinceAction, 0, len(c.sinceAction)/2)
	}
	c.sinceAction = append(c.sinceAction, m)
}

// userActed starts a new "since the user's latest action". c.mu must be held.
func (c *chat) userActed() {
	clear(c.sinceAction)
	c.sinceAction = c.sinceAction[:0]
}

// snapshot returns the visible messages in order. c.mu must be held.
func (c *chat) snapshot() []Message {
	out := make([]Message, 0, len(c.msgs))
	for _, m := range c.msgs {
		if !m.deleted {
			out = append(out, m.view)
		}
	}
	return out
}

// canReceive tells whether the bot may write to the chat. c.mu must be held.
func (c *chat) canReceive() *apiError {
	switch {
	case c.blocked:
		return errBlocked
	case !c.started:
		return errNotStarted
	}
	return nil
}

func (c *chat) wire() wireChat {
	if c.group != nil {
		return wireChat{ID: c.id, Type: c.group.typ, Title: c.group.title}
	}
	return wireChat{
		ID:        c.id,
		Type:      "private",
		FirstName: c.user.cfg.FirstName,
		LastName:  c.user.cfg.LastName,
		Username:  c.user.cfg.Username,
	}
}

// wireMessage renders a message as the Bot API returns it. c.mu must be held.
func (s *Server) wireMessage(c *chat, m *message) *wireMessage {
	w := &wireMessage{
		MessageID:       m.view.ID,
		Date:            m.date,
		Chat:            c.wire(),
		EditDate:        m.editDate,
		Text:            m.view.Text,
		Entities:        m.entities,
		Photo:           m.photo,
		Document:        m.doc,
		Caption:         m.view.Caption,
		CaptionEntities: m.captionEntities,
		Contact:         m.contact,
		ReplyMarkup:     m.inline,
	}
	wirePayment(w, m)
	switch {
	case m.view.FromBot:
		w.From = &s.me
	case m.from != nil:
		u := m.from.wire()
		w.From = &u
	default:
		u := c.user.wire()
		w.From = &u
	}
	if m.replyTo != nil {
		inner := *s.wireMessage(c, m.replyTo)
		inner.ReplyToMessage = nil
		w.ReplyToMessage = &inner
	}
	return w
}

// chatByParam finds the chat a chat_id parameter names. A malformed chat_id
// is a violation; an unknown one is an error a bot can meet in production
// (someone it never met), so it is not.
func (s *Server) chatByParam(v string) (*chat, *apiError) {
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		if strings.HasPrefix(v, "@") {
			return nil, errChatMissing
		}
		return nil, badRequest("chat not found")
	}
	s.mu.RLock()
	c := s.chats[id]
	s.mu.RUnlock()
	if c == nil {
		return nil, errChatMissing
	}
	return c, nil
}

// parsedMarkup is a validated reply_markup.
type parsedMarkup struct {
	inline     [][]Button
	inlineJSON json.RawMessage
	reply      *replyKeyboard
	remove     bool
}

func parseMarkup(r *request) parsedMarkup {
	v, ok := r.json["reply_markup"]
	if !ok {
		return parsedMarkup{}
	}
	canonical, _ := json.Marshal(v) // maps marshal with sorted keys
	var mk markup
	_ = json.Unmarshal(canonical, &mk)
	var p parsedMarkup
	obj, _ := v.(map[string]any)
	if _, ok := obj["inline_keyboard"]; ok {
		p.inlineJSON = canonical
		for _, row := range mk.InlineKeyboard {
			var out []Button
			for _, b := range row {
				btn := Button{Text: b.Text}
				if b.CallbackData != nil {
					btn.CallbackData = *b.CallbackData
				}
				if b.URL != nil {
					btn.URL = *b.URL
				}
				out = append(out, btn)
			}
			p.inline = append(p.inline, out)
		}
		if len(p.inline) == 0 {
			p.inlineJSON = nil // an empty inline keyboard is no keyboard
		}
	}
	if _, ok := obj["keyboard"]; ok {
		rk := &replyKeyboard{oneTime: mk.OneTimeKeyboard}
		for _, row := range mk.Keyboard {
			var out []KeyboardButton
			for _, b := range row {
				out = append(out, KeyboardButton{Text: b.Text, RequestContact: b.RequestContact, RequestLocation: b.RequestLocation})
			}
			rk.rows = append(rk.rows, out)
		}
		p.reply = rk
	}
	p.remove = mk.RemoveKeyboard
	return p
}

// setMarkup applies a reply_markup to a new bot message and to the chat's
// reply keyboard. c.mu must be held.
func (c *chat) setMarkup(m *message, p parsedMarkup) {
	m.inline, m.view.InlineKeyboard = p.inlineJSON, p.inline
	if p.reply != nil {
		m.view.ReplyKeyboard = p.reply.rows
		c.keyboard = p.reply
	}
	if p.remove {
		m.view.RemoveKeyboard = true
		c.keyboard = nil
	}
}

// replyTarget resolves reply_to_message_id. c.mu must be held.
func (c *chat) replyTarget(r *request) (*message, *apiError) {
	v := r.params["reply_to_message_id"]
	if v == "" {
		return nil, nil
	}
	id, _ := strconv.Atoi(v)
	if m := c.byID[id]; m != nil && !m.deleted {
		return m, nil
	}
	if ok, _ := strconv.ParseBool(r.params["allow_sending_without_reply"]); ok {
		return nil, nil
	}
	return nil, badRequest("reply message not found")
}

// sendToChat is the common part of every send method: find the chat, check
// the bot may write there, store the message the build function fills in.
func (s *Server) sendToChat(r *request, fill func(m *message) *apiError) (any, *apiError) {
	c, aerr := s.chatByParam(r.params["chat_id"])
	if aerr != nil {
		return nil, aerr
	}
	mk := parseMarkup(r)
	m := &message{view: Message{FromBot: true, ParseMode: r.params["parse_mode"]}}
	if aerr := fill(m); aerr != nil {
		return nil, aerr
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if aerr := c.canReceive(); aerr != nil {
		return nil, aerr
	}
	replyTo, aerr := c.replyTarget(r)
	if aerr != nil {
		return nil, aerr
	}
	m.replyTo = replyTo
	if replyTo != nil {
		m.view.ReplyTo = replyTo.view.ID
	}
	c.setMarkup(m, mk)
	c.add(m, s.now())
	s.events.publish(Event{Kind: MessageSent, ChatID: c.id, Message: m.view})
	return s.wireMessage(c, m), nil
}

func (s *Server) sendMessage(r *request) (any, *apiError) {
	return s.sendToChat(r, func(m *message) *apiError {
		ft := r.formatted["text"]
		m.view.Text, m.view.HTML, m.entities = ft.text, ft.raw, ft.entities
		return nil
	})
}

// editTarget finds the bot message an edit names, locked. On success the
// caller must unlock c.mu.
func (s *Server) editTarget(r *request, notFound string) (*chat, *message, *apiError) {
	if r.params["inline_message_id"] != "" {
		return nil, nil, badRequest("MESSAGE_ID_INVALID")
	}
	c, aerr := s.chatByParam(r.params["chat_id"])
	if aerr != nil {
		return nil, nil, aerr
	}
	id, _ := strconv.Atoi(r.params["message_id"])
	c.mu.Lock()
	if c.blocked {
		c.mu.Unlock()
		return nil, nil, errBlocked
	}
	m := c.byID[id]
	if m == nil || m.deleted {
		c.mu.Unlock()
		return nil, nil, badRequest("%s", notFound)
	}
	return c, m, nil
}

// botMessageToEdit is editTarget for the edit methods, which only apply
// to the bot's own messages. On success c.mu is held.
func (s *Server) botMessageToEdit(r *request) (*chat, *message, *apiError) {
	c, m, aerr := s.editTarget(r, "message to edit not found")
	if aerr != nil {
		return nil, nil, aerr
	}
	if !m.view.FromBot {
		c.mu.Unlock()
		return nil, nil, badRequest("message can't be edited")
	}
	return c, m, nil
}

// finishEdit records an applied edit. c.mu must be held.
func (s *Server) finishEdit(c *chat, m *message) any {
	m.view.EditCount++
	m.editDate = s.now().Unix()
	c.touch()
	c.botChanged(m)
	s.events.publish(Event{Kind: MessageEdited, ChatID: c.id, Message: m.view})
	return s.wireMessage(c, m)
}

func (s *Server) editMessageText(r *request) (any, *apiError) {
	c, m, aerr := s.botMessageToEdit(r)
	if aerr != nil {
		return nil, aerr
	}
	defer c.mu.Unlock()
	if m.photo != nil || m.doc != nil || m.contact != nil {
		return nil, badRequest("there is no text in the message to edit")
	}
	ft := r.formatted["text"]
	mk := parseMarkup(r)
	if ft.text == m.view.Text && sameEntities(ft.entities, m.entities) && bytes.Equal(mk.inlineJSON, m.inline) {
		return nil, errNotModified
	}
	m.view.Text, m.view.HTML, m.view.ParseMode, m.entities = ft.text, ft.raw, r.params["parse_mode"], ft.entities
	m.inline, m.view.InlineKeyboard = mk.inlineJSON, mk.inline
	return s.finishEdit(c, m), nil
}

func (s *Server) editMessageCaption(r *request) (any, *apiError) {
	c, m, aerr := s.botMessageToEdit(r)
	if aerr != nil {
		return nil, aerr
	}
	defer c.mu.Unlock()
	if m.photo == nil && m.doc == nil {
		return nil, badRequest("there is no caption in the message to edit")
	}
	ft := r.formatted["caption"]
	mk := parseMarkup(r)
	if ft.text == m.view.Caption && sameEntities(ft.entities, m.captionEntities) && bytes.Equal(mk.inlineJSON, m.inline) {
		return nil, errNotModified
	}
	m.view.Caption, m.view.CaptionHTML, m.captionEntities = ft.text, ft.raw, ft.entities
	m.inline, m.view.InlineKeyboard = mk.inlineJSON, mk.inline
	return s.finishEdit(c, m), nil
}

func (s *Server) editMessageReplyMarkup(r *request) (any, *apiError) {
	c, m, aerr := s.botMessageToEdit(r)
	if aerr != nil {
		return nil, aerr
	}
	defer c.mu.Unlock()
	mk := parseMarkup(r)
	if bytes.Equal(mk.inlineJSON, m.inline) {
		return nil, errNotModified
	}
	m.inline, m.view.InlineKeyboard = mk.inlineJSON, mk.inline
	return s.finishEdit(c, m), nil
}

func (s *Server) deleteMessage(r *request) (any, *apiError) {
	c, m, aerr := s.editTarget(r, "message to delete not found")
	if aerr != nil {
		return nil, aerr
	}
	defer c.mu.Unlock()
	m.deleted = true
	c.touch()
	s.events.publish(Event{Kind: MessageDeleted, ChatID: c.id, Message: m.view})
	return true, nil
}

func (s *Server) sendChatAction(r *request) (any, *apiError) {
	c, aerr := s.chatByParam(r.params["chat_id"])
	if aerr != nil {
		return nil, aerr
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if aerr := c.canReceive(); aerr != nil {
		return nil, aerr
	}
	c.lastAction = r.params["action"]
	c.touch()
	s.events.publish(Event{Kind: ChatAction, ChatID: c.id, Action: c.lastAction})
	return true, nil
}

func (s *Server) getChat(r *request) (any, *apiError) {
	c, aerr := s.chatByParam(r.params["chat_id"])
	if aerr != nil {
		return nil, aerr
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wire(), nil
}

func sameEntities(a, b []entity) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}
