package telegramtest

import "fmt"

// groupInfo is what makes a chat a group: its kind and title.
type groupInfo struct {
	typ   string // "group" or "supergroup"
	title string
}

// Group is a group chat the bot is a member of. Its members write and
// press buttons in it through Member; everyone sees the same messages.
type Group struct {
	s    *Server
	chat *chat
}

// AddGroup creates a group chat with a negative id, as Telegram's are: a
// supergroup when super is true, else a basic group. If a chat with the
// id exists it must be a group, and is returned.
func (s *Server) AddGroup(id int64, title string, super bool) *Group {
	if id >= 0 {
		panic("telegramtest: a group's id must be negative")
	}
	typ := "group"
	if super {
		typ = "supergroup"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.chats[id]; c != nil {
		if c.group == nil {
			panic(fmt.Sprintf("telegramtest: chat %d is not a group", id))
		}
		return &Group{s: s, chat: c}
	}
	c := newChat(id, nil, true)
	c.group = &groupInfo{typ: typ, title: title}
	s.chats[id] = c
	return &Group{s: s, chat: c}
}

// ID is the group's chat id.
func (g *Group) ID() int64 { return g.chat.id }

// Member is u in the group: Send, PressData, Messages, WaitFor and the
// other methods of the returned User act in the group's chat, as u.
func (g *Group) Member(u *User) *User {
	return &User{s: g.s, cfg: u.cfg, chat: g.chat}
}
