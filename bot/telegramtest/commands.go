package telegramtest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// BotCommand is an entry of the bot's command menu.
type BotCommand struct {
	Command     string `json:"command"`
	Description string `json:"description"`
}

// CommandScope is a BotCommandScope. The zero value is the default scope.
// Type is one of "default", "all_private_chats", "all_group_chats",
// "all_chat_administrators", "chat", "chat_administrators", "chat_member".
type CommandScope struct {
	Type   string
	ChatID int64
	UserID int64
}

func (sc CommandScope) key(lang string) string {
	t := sc.Type
	if t == "" {
		t = "default"
	}
	return fmt.Sprintf("%s/%d/%d/%s", t, sc.ChatID, sc.UserID, lang)
}

type commandStore struct {
	mu   sync.Mutex
	sets map[string][]BotCommand
}

// scopeParam reads the scope parameter, checking that a chat it names exists.
func (s *Server) scopeParam(r *request) (CommandScope, *apiError) {
	v, ok := r.json["scope"]
	if !ok {
		return CommandScope{}, nil
	}
	b, _ := json.Marshal(v)
	var raw struct {
		Type   string          `json:"type"`
		ChatID json.RawMessage `json:"chat_id"`
		UserID int64           `json:"user_id"`
	}
	_ = json.Unmarshal(b, &raw)
	sc := CommandScope{Type: raw.Type, UserID: raw.UserID}
	if len(raw.ChatID) > 0 {
		var chatParam string
		if json.Unmarshal(raw.ChatID, &chatParam) != nil {
			chatParam = string(raw.ChatID)
		}
		c, aerr := s.chatByParam(chatParam)
		if aerr != nil {
			return sc, aerr
		}
		sc.ChatID = c.id
	}
	return sc, nil
}

func (s *Server) setMyCommands(r *request) (any, *apiError) {
	sc, aerr := s.scopeParam(r)
	if aerr != nil {
		return nil, aerr
	}
	b, _ := json.Marshal(r.json["commands"])
	var cmds []BotCommand
	_ = json.Unmarshal(b, &cmds)
	cs := &s.commands
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.sets == nil {
		cs.sets = map[string][]BotCommand{}
	}
	key := sc.key(r.params["language_code"])
	if len(cmds) == 0 {
		delete(cs.sets, key)
	} else {
		cs.sets[key] = cmds
	}
	return true, nil
}

func (s *Server) getMyCommands(r *request) (any, *apiError) {
	sc, aerr := s.scopeParam(r)
	if aerr != nil {
		return nil, aerr
	}
	cmds := s.Commands(sc, r.params["language_code"])
	if cmds == nil {
		cmds = []BotCommand{}
	}
	return cmds, nil
}

func (s *Server) deleteMyCommands(r *request) (any, *apiError) {
	sc, aerr := s.scopeParam(r)
	if aerr != nil {
		return nil, aerr
	}
	cs := &s.commands
	cs.mu.Lock()
	defer cs.mu.Unlock()
	delete(cs.sets, sc.key(r.params["language_code"]))
	return true, nil
}

// Commands returns the commands set for exactly this scope and language
// code ("" for all languages), as getMyCommands would.
func (s *Server) Commands(scope CommandScope, languageCode string) []BotCommand {
	cs := &s.commands
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return slices.Clone(cs.sets[scope.key(languageCode)])
}

// Commands returns the command menu this user sees in the private chat with
// the bot, resolved the way Telegram resolves it: the chat's own scope,
// then all private chats, then the default scope, each first for the
// user's language and then for all languages.
func (u *User) Commands() []BotCommand {
	lang, _, _ := strings.Cut(u.cfg.LanguageCode, "-")
	for _, sc := range []CommandScope{{Type: "chat", ChatID: u.cfg.ID}, {Type: "all_private_chats"}, {}} {
		if lang != "" {
			if cmds := u.s.Commands(sc, lang); cmds != nil {
				return cmds
			}
		}
		if cmds := u.s.Commands(sc, ""); cmds != nil {
			return cmds
		}
	}
	return nil
}
