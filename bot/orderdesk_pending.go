package bot

import (
	"context"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"villagebot/catalog"
)

// maxButtons is Telegram's limit on the inline buttons of one message.
const maxButtons = 100

// pendingScreen is /pending for me: open orders oldest first — all of
// them with all lines for office staff, for a coordinator those holding
// their village's products with only those lines and their total — each
// with the buttons of its next step, as many as one message holds.
func (b *Bot) pendingScreen(ctx context.Context, lang string, me catalog.Staff) (screen, error) {
	villageID := readerVillage(me)
	// A message holds a few dozen orders at most; the rest are counted.
	list, total, err := b.orders.Open(ctx, villageID, pendingShown)
	if err != nil {
		return screen{}, err
	}
	if total == 0 {
		return screen{text: b.msg.T(lang, "pending_none")}, nil
	}
	var sb strings.Builder
	sb.WriteString(b.msg.N(lang, "pending_title", total) + "\n")
	var rows [][]tgbotapi.InlineKeyboardButton
	shown, buttons := 0, 0
	for _, o := range list {
		block := "\n" + b.deskText(lang, "", o, villageID) + "\n"
		row := b.deskButtons(lang, o, villageID, onPending, o.Ref()+" ")
		if plainLen(sb.String()+block) > maxText-100 || buttons+len(row) > maxButtons {
			break
		}
		sb.WriteString(block)
		shown++
		if len(row) > 0 {
			rows = append(rows, row)
			buttons += len(row)
		}
	}
	if shown < total {
		sb.WriteString("\n" + b.msg.N(lang, "pending_more", total-shown))
	}
	return screen{text: sb.String(), buttons: rows}, nil
}

// alerts is /alerts on|off: whether an office member hears of every new
// order. Without an argument it says which it is. Orders of a village
// without a coordinator reach the office whatever it says.
func (b *Bot) alerts(ctx context.Context, r *Request, me catalog.Staff) error {
	var on bool
	switch strings.ToLower(r.Args) {
	case "":
		cur, err := b.catalog.Alerts(ctx, r.UserID)
		if err != nil {
			return err
		}
		return b.send(ctx, r, b.alertsText(r.Lang, cur)+"\n"+b.msg.T(r.Lang, "usage_alerts"), nil)
	case "on":
		on = true
	case "off":
	default:
		return b.usage(r, "alerts")
	}
	if err := b.catalog.SetAlerts(ctx, r.UserID, on); err != nil {
		return err
	}
	return b.send(ctx, r, b.alertsText(r.Lang, on), nil)
}

func (b *Bot) alertsText(lang string, on bool) string {
	if on {
		return b.msg.T(lang, "alerts_on")
	}
	return b.msg.T(lang, "alerts_off")
}
