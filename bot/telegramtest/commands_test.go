package telegramtest

import (
	"reflect"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

func TestCommandsAreStoredPerScopeAndLanguage(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	staff := srv.AddUser(UserConfig{ID: 10, FirstName: "Li", LanguageCode: "zh", Started: true})
	visitor := srv.User(20, "Ivan", "ru")

	visitorCmds := []tgbotapi.BotCommand{{Command: "start", Description: "Menu"}, {Command: "cart", Description: "Cart"}}
	russian := []tgbotapi.BotCommand{{Command: "start", Description: "Меню"}}
	staffCmds := []tgbotapi.BotCommand{{Command: "start", Description: "Menu"}, {Command: "export", Description: "Export orders"}}
	calls := []tgbotapi.Chattable{
		tgbotapi.NewSetMyCommands(visitorCmds...),
		tgbotapi.SetMyCommandsConfig{Commands: russian, LanguageCode: "ru"},
		tgbotapi.NewSetMyCommandsWithScope(tgbotapi.NewBotCommandScopeChat(10), staffCmds...),
	}
	for _, c := range calls {
		if _, err := bot.Request(c); err != nil {
			t.Fatalf("setMyCommands: %v", err)
		}
	}

	got, err := bot.GetMyCommandsWithConfig(tgbotapi.NewGetMyCommandsWithScope(tgbotapi.NewBotCommandScopeChat(10)))
	if err != nil || !reflect.DeepEqual(got, staffCmds) {
		t.Errorf("getMyCommands(chat 10) = %v, %v; want %v", got, err, staffCmds)
	}
	if got := srv.Commands(CommandScope{Type: "chat", ChatID: 10}, ""); len(got) != 2 || got[1].Command != "export" {
		t.Errorf("Commands(chat 10) = %v", got)
	}
	if got := srv.Commands(CommandScope{}, "ru"); len(got) != 1 || got[0].Description != "Меню" {
		t.Errorf("Commands(default, ru) = %v", got)
	}
	if got := staff.Commands(); len(got) != 2 || got[1].Command != "export" {
		t.Errorf("staff sees %v", got)
	}
	if got := visitor.Commands(); len(got) != 1 || got[0].Description != "Меню" {
		t.Errorf("a Russian visitor sees %v", got)
	}
	if got := srv.User(30, "Ann", "en").Commands(); len(got) != 2 || got[1].Command != "cart" {
		t.Errorf("an English visitor sees %v", got)
	}

	if _, err := bot.Request(tgbotapi.NewDeleteMyCommandsWithScope(tgbotapi.NewBotCommandScopeChat(10))); err != nil {
		t.Fatal(err)
	}
	if got := staff.Commands(); len(got) != 2 || got[1].Command != "cart" {
		t.Errorf("after deleteMyCommands staff sees %v", got)
	}
	got, err = bot.GetMyCommandsWithConfig(tgbotapi.NewGetMyCommandsWithScope(tgbotapi.NewBotCommandScopeChat(10)))
	if err != nil || len(got) != 0 {
		t.Errorf("getMyCommands after delete = %v, %v", got, err)
	}
	srv.AssertNoViolations(t)
}

func TestCommandScopeOfAnUnknownChat(t *testing.T) {
	t.Parallel()
	srv, bot := start(t)
	_, err := bot.Request(tgbotapi.NewSetMyCommandsWithScope(tgbotapi.NewBotCommandScopeChat(999), tgbotapi.BotCommand{Command: "a", Description: "b"}))
	if e := clientError(t, err); e.Message != "Bad Request: chat not found" {
		t.Errorf("error = %q", e.Message)
	}
	srv.AssertNoViolations(t)
}
