package main

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"villagebot/bot/telegramtest"
)

// chat is the terminal playground: the in-memory Bot API server, the real
// bot (update loop, PostgreSQL, Redis) against it, and the person at the
// terminal as a Telegram user.
func (m *Main) chat(ctx context.Context, args []string) error {
	fs := m.flags("chat", "chat [-user ID] [-name NAME] [-lang zh|en|ru]")
	fs.StringVar(&m.config.DatabaseURL, "database-url", m.config.DatabaseURL, "PostgreSQL URL (DATABASE_URL)")
	fs.StringVar(&m.config.RedisURL, "redis-url", m.config.RedisURL, "Redis URL (REDIS_URL)")
	userID := fs.Int64("user", 1001, "the Telegram user id you chat as")
	name := fs.String("name", "Guest", "your first name")
	lang := fs.String("lang", "en", "your Telegram language (zh, en, ru, or any other code)")
	if err := parse(fs, args); err != nil {
		return err
	}
	m.config.Token = "" // the playground needs none, and must not print one
	if m.config.PaymentProviderToken == "" {
		// Payments in the playground go to the in-memory server only.
		m.config.PaymentProviderToken = playgroundProviderToken
	}
	if err := m.config.Validate(false); err != nil {
		return err
	}
	// Logs would garble the conversation: keep warnings and errors only.
	m.log = newLogger(m.Stderr, slog.LevelWarn, "")
	srv := telegramtest.NewServer(telegramtest.WithLogger(m.log))
	defer srv.Close()
	app, err := m.open(ctx, srv.URL(), srv.Token())
	if err != nil {
		return err
	}
	defer app.Close()
	p := &playground{srv: srv, out: m.Stdout}
	p.user = srv.AddUser(telegramtest.UserConfig{ID: *userID, FirstName: *name, LanguageCode: *lang, Started: true})
	if err := app.Bot.SetCommands(ctx); err != nil {
		return err
	}
	botCtx, stopBot := context.WithCancel(ctx)
	botDone := make(chan error, 1)
	go func() { botDone <- app.Run(botCtx) }()
	defer func() { stopBot(); <-botDone }()

	stop := srv.Watch(p.event)
	defer stop()
	p.printf("villagebot playground — you are %s (id %d, language %s). Type as in Telegram; a number presses a button.\n"+
		"/as ID [LANG] switches user · /contact [PHONE] shares a phone · /photo FILE [CAPTION] · /doc FILE [CAPTION] · /pay pays the last invoice · /quit\n\n", *name, *userID, *lang)
	p.user.Send("/start")
	return p.loop(ctx, m.Stdin)
}

// playgroundProviderToken turns Telegram Payments on in the playground,
// whose payments never leave the in-memory server.
const playgroundProviderToken = "1:TEST:playground"

type playground struct {
	srv *telegramtest.Server
	out interface{ Write([]byte) (int, error) }

	mu      sync.Mutex
	user    *telegramtest.User
	buttons []telegramtest.Button // the numbered buttons, of message buttonsOf
	msgOf   int
}

func (p *playground) printf(format string, a ...any) {
	fmt.Fprintf(p.out, format, a...)
}

// event prints what the current user sees happen in their chat.
func (p *playground) event(ev telegramtest.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.user == nil || ev.ChatID != p.user.ID() {
		return
	}
	switch ev.Kind {
	case telegramtest.MessageSent, telegramtest.MessageEdited:
		msg := ev.Message
		mark := "🤖"
		if ev.Kind == telegramtest.MessageEdited {
			mark = "🤖✏️"
		}
		body := msg.Text
		if msg.Photo != "" {
			body = "[photo] " + msg.Caption
		}
		if msg.Document != nil {
			body = fmt.Sprintf("[file %s, %d bytes] %s", msg.Document.FileName, len(msg.Document.Data), msg.Caption)
		}
		if inv := msg.Invoice; inv != nil {
			body = fmt.Sprintf("[invoice] %s: %s — %d.%02d %s (type /pay to pay)", inv.Title, inv.Description,
				inv.TotalAmount/100, inv.TotalAmount%100, inv.Currency)
		}
		p.printf("%s %s\n", mark, strings.ReplaceAll(body, "\n", "\n   "))
		if len(msg.InlineKeyboard) > 0 {
			p.buttons, p.msgOf = nil, msg.ID
			for _, row := range msg.InlineKeyboard {
				var cells []string
				for _, b := range row {
					p.buttons = append(p.buttons, b)
					cells = append(cells, fmt.Sprintf("[%d] %s", len(p.buttons), b.Text))
				}
				p.printf("   %s\n", strings.Join(cells, "   "))
			}
		}
		for _, row := range msg.ReplyKeyboard {
			for _, k := range row {
				hint := "type it"
				if k.RequestContact {
					hint = "/contact"
				}
				p.printf("   ⌨️  %s (%s)\n", k.Text, hint)
			}
		}
	case telegramtest.CallbackAnswered:
		if ev.Answer.Text != "" {
			p.printf("   💬 %s\n", ev.Answer.Text)
		}
	}
}

// loop reads the person's lines until /quit, end of input or ctx ends.
func (p *playground) loop(ctx context.Context, in interface{ Read([]byte) (int, error) }) error {
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case line, ok := <-lines:
			if !ok {
				return nil
			}
			if quit := p.handle(strings.TrimSpace(line)); quit {
				return nil
			}
		}
	}
}

func (p *playground) handle(line string) (quit bool) {
	if line == "" {
		return false
	}
	f := strings.Fields(line)
	p.mu.Lock()
	u := p.user
	p.mu.Unlock()
	switch f[0] {
	case "/quit", "/exit":
		return true
	case "/as":
		if len(f) < 2 {
			p.printf("usage: /as ID [LANG]\n")
			return false
		}
		id, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil || id <= 0 {
			p.printf("usage: /as ID [LANG]\n")
			return false
		}
		lang := "en"
		if len(f) > 2 {
			lang = f[2]
		}
		nu := p.srv.AddUser(telegramtest.UserConfig{ID: id, FirstName: "User " + f[1], LanguageCode: lang, Started: true})
		p.mu.Lock()
		p.user, p.buttons = nu, nil
		p.mu.Unlock()
		p.printf("— now chatting as %d (%s)\n", id, nu.Config().LanguageCode)
		return false
	case "/pay":
		// Telegram's payment form: the bot has 10 s to answer the
		// pre-checkout, so wait for it away from the input loop.
		go func() {
			pay, err := u.Pay(telegramtest.PreCheckoutTimeout)
			switch {
			case err != nil:
				p.printf("   💳 %v\n", err)
			case !pay.Answer.OK:
				p.printf("   💳 payment refused: %s\n", pay.Answer.ErrorMessage)
			default:
				p.printf("   💳 paid %d.%02d %s (charge %s)\n", pay.Charge.TotalAmount/100, pay.Charge.TotalAmount%100,
					pay.Charge.Currency, pay.Charge.TelegramPaymentChargeID)
			}
		}()
		return false
	case "/contact":
		var err error
		if len(f) > 1 {
			u.SendContact(strings.Join(f[1:], " "))
		} else if _, err = u.ShareContact(); err != nil {
			u.SendContact(u.Config().Phone)
		}
		return false
	case "/photo", "/doc":
		if len(f) < 2 {
			p.printf("usage: %s FILE [CAPTION]\n", f[0])
			return false
		}
		data, err := os.ReadFile(f[1])
		if err != nil {
			p.printf("cannot read %s: %v\n", f[1], err)
			return false
		}
		caption := strings.Join(f[2:], " ")
		if f[0] == "/photo" {
			u.SendPhoto(caption, data)
		} else {
			u.SendDocument(filepath.Base(f[1]), "application/octet-stream", data, caption)
		}
		return false
	}
	if n, err := strconv.Atoi(line); err == nil {
		p.mu.Lock()
		buttons, msgID := p.buttons, p.msgOf
		p.mu.Unlock()
		if n < 1 || n > len(buttons) {
			p.printf("no button %d\n", n)
			return false
		}
		b := buttons[n-1]
		if b.CallbackData == "" {
			p.printf("   (a link: %s)\n", b.URL)
			return false
		}
		if _, err := u.PressData(msgID, b.CallbackData); err != nil {
			p.printf("cannot press: %v\n", err)
		}
		return false
	}
	u.Send(line)
	return false
}
