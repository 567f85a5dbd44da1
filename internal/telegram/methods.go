package telegram

import (
	"fmt"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// methodOf is the Bot API method of a call, for the limiter and metrics.
func methodOf(c tgbotapi.Chattable) string {
	switch c.(type) {
	case tgbotapi.MessageConfig:
		return "sendMessage"
	case tgbotapi.PhotoConfig:
		return "sendPhoto"
	case tgbotapi.DocumentConfig:
		return "sendDocument"
	case tgbotapi.EditMessageTextConfig:
		return "editMessageText"
	case tgbotapi.EditMessageCaptionConfig:
		return "editMessageCaption"
	case tgbotapi.EditMessageReplyMarkupConfig:
		return "editMessageReplyMarkup"
	case tgbotapi.DeleteMessageConfig:
		return "deleteMessage"
	case tgbotapi.CallbackConfig:
		return "answerCallbackQuery"
	case tgbotapi.SetMyCommandsConfig:
		return "setMyCommands"
	case tgbotapi.FileConfig:
		return "getFile"
	case tgbotapi.ChatActionConfig:
		return "sendChatAction"
	case tgbotapi.CopyMessageConfig:
		return "copyMessage"
	case tgbotapi.ForwardConfig:
		return "forwardMessage"
	case tgbotapi.MediaGroupConfig:
		return "sendMediaGroup"
	case tgbotapi.LocationConfig:
		return "sendLocation"
	case tgbotapi.StickerConfig:
		return "sendSticker"
	}
	return fmt.Sprintf("%T", c)
}

// chatOf is the chat a call goes to, 0 when it names none by number.
func chatOf(c tgbotapi.Chattable) int64 {
	switch c := c.(type) {
	case tgbotapi.MessageConfig:
		return c.ChatID
	case tgbotapi.PhotoConfig:
		return c.ChatID
	case tgbotapi.DocumentConfig:
		return c.ChatID
	case tgbotapi.StickerConfig:
		return c.ChatID
	case tgbotapi.LocationConfig:
		return c.ChatID
	case tgbotapi.ChatActionConfig:
		return c.ChatID
	case tgbotapi.CopyMessageConfig:
		return c.ChatID
	case tgbotapi.ForwardConfig:
		return c.ChatID
	case tgbotapi.MediaGroupConfig:
		return c.ChatID
	case tgbotapi.EditMessageTextConfig:
		return c.ChatID
	case tgbotapi.EditMessageCaptionConfig:
		return c.ChatID
	case tgbotapi.EditMessageReplyMarkupConfig:
		return c.ChatID
	case tgbotapi.DeleteMessageConfig:
		return c.ChatID
	}
	return 0
}

// repeatable reports whether repeating the call after a lost reply is
// harmless: edits, deletions and answers are; sends are not.
func repeatable(c tgbotapi.Chattable) bool {
	switch c.(type) {
	case tgbotapi.MessageConfig, tgbotapi.PhotoConfig, tgbotapi.DocumentConfig:
		return false
	}
	return true
}
