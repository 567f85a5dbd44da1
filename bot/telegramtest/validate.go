package telegramtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Violation is a request that real Telegram would refuse because the bot got
// it wrong: an unknown method or parameter, a missing or mistyped one, a
// limit exceeded, HTML that does not parse, a message that does not exist.
// The server answers it as Telegram would and records it here.
type Violation struct {
	Time        time.Time
	Method      string
	Code        int
	Description string
	// Params are the parameters as sent; uploaded files are summarised and the
	// bot token is never included.
	Params map[string]string
}

func (v Violation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d %s", v.Method, v.Code, v.Description)
	for _, k := range slices.Sorted(maps.Keys(v.Params)) {
		val := v.Params[k]
		if len(val) > 200 {
			val = val[:200] + "…"
		}
		fmt.Fprintf(&b, "\n\t%s=%q", k, val)
	}
	return b.String()
}

// TB is the part of testing.TB that AssertNoViolations needs, so that this
// package does not import "testing" into the binaries that use it.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
}

// AssertNoViolations fails t with every violation recorded so far.
func (s *Server) AssertNoViolations(t TB) {
	t.Helper()
	for _, v := range s.Violations() {
		t.Errorf("telegramtest: the bot sent a request Telegram would refuse: %s", v)
	}
}

// Violations returns the violations recorded so far, oldest first.
func (s *Server) Violations() []Violation {
	s.vmu.Lock()
	defer s.vmu.Unlock()
	return slices.Clone(s.violations)
}

// apiError is an error reply in Telegram's shape.
type apiError struct {
	code        int
	description string
	retryAfter  int
	// violation marks errors caused by a request the bot should not have
	// made; expected errors (message not modified, blocked by the user, an
	// injected fault) leave it false.
	violation bool
}

func badRequest(format string, args ...any) *apiError {
	return &apiError{code: 400, description: "Bad Request: " + fmt.Sprintf(format, args...), violation: true}
}

// expected is an error Telegram gives in normal operation; a bot must cope
// with it, but sending the request was not a mistake.
func expected(code int, description string) *apiError {
	return &apiError{code: code, description: description}
}

var (
	errNotModified = expected(400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
	errQueryTooOld = expected(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
	errBlocked     = expected(403, "Forbidden: bot was blocked by the user")
	errNotStarted  = expected(403, "Forbidden: bot can't initiate conversation with a user")
	errChatMissing = expected(400, "Bad Request: chat not found")
)

// validate checks a request against the method's description and Telegram's
// limits. It fills r.formatted and r.json for the handler.
func (s *Server) validate(m *methodSpec, r *request) *apiError {
	r.formatted = map[string]formatted{}
	r.json = map[string]any{}

	attached := map[string]bool{}
	for _, v := range r.params {
		if !strings.Contains(v, "attach://") {
			continue
		}
		for _, m := range attachRe.FindAllStringSubmatch(v, -1) {
			attached[m[1]] = true
		}
	}
	for _, k := range slices.Sorted(maps.Keys(r.params)) {
		f := m.fields[k]
		if f == nil {
			return badRequest("unknown parameter %q", k)
		}
		// The client library sends a nil slice as "null" (entities=null on
		// every sendMessage), and Telegram takes that as absent. A null
		// reply_markup it refuses ("object expected as reply markup").
		if r.params[k] == "null" && k != "reply_markup" && !slices.ContainsFunc(f.types, isScalar) {
			delete(r.params, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(r.files)) {
		if m.fields[k] == nil && !attached[k] {
			return badRequest("unknown parameter %q", k)
		}
	}
	for _, name := range m.order {
		if m.fields[name].required && !r.has(name) {
			return missingParam(name)
		}
	}
	for _, name := range m.order {
		f := m.fields[name]
		if _, isFile := r.files[name]; isFile {
			if !slices.Contains(f.types, "InputFile") {
				return badRequest("field %q must be of type %s", name, strings.Join(f.types, " or "))
			}
			continue
		}
		v, ok := r.params[name]
		if !ok || v == "" {
			continue
		}
		if err := s.checkParam(f, v, r); err != nil {
			return err
		}
	}
	return s.checkRules(m, r)
}

var attachRe = regexp.MustCompile(`attach://([A-Za-z0-9_.-]+)`)

// missingParam uses Telegram's wording where it is known.
func missingParam(name string) *apiError {
	switch name {
	case "chat_id":
		return badRequest("chat_id is empty")
	case "text":
		return badRequest("message text is empty")
	case "message_id":
		return badRequest("message identifier is not specified")
	case "photo":
		return badRequest("there is no photo in the request")
	case "document":
		return badRequest("there is no document in the request")
	case "action":
		return badRequest("wrong parameter action in request")
	}
	return badRequest("parameter %q is required", name)
}

// checkParam checks one parameter's value against its alternative types.
func (s *Server) checkParam(f *fieldSpec, v string, r *request) *apiError {
	if !utf8.ValidString(v) {
		return badRequest("strings must be encoded in UTF-8")
	}
	var structured []string
	for _, t := range f.types {
		if isScalar(t) {
			if scalarOK(t, v) {
				if t == "String" && f.limit != nil && !f.limit.afterEntities {
					if err := checkLimit(r.method, f, v); err != nil {
						return err
					}
				}
				return nil
			}
			continue
		}
		structured = append(structured, t)
	}
	if len(structured) == 0 {
		return badRequest("field %q must be of type %s", f.name, strings.Join(f.types, " or "))
	}
	dec := json.NewDecoder(strings.NewReader(v))
	dec.UseNumber()
	var val any
	if err := dec.Decode(&val); err != nil || dec.More() {
		if f.name == "reply_markup" {
			return badRequest("can't parse reply keyboard markup JSON object")
		}
		return badRequest("can't parse %s JSON object", f.name)
	}
	if f.name == "reply_markup" {
		if _, isObject := val.(map[string]any); !isObject {
			return badRequest("object expected as reply markup")
		}
	}
	c := checker{spec: s.spec}
	if fe := c.any(val, structured, f.name); fe != nil {
		switch {
		case fe.desc != "":
			return badRequest("%s", fe.desc)
		case f.name == "reply_markup" && strings.Contains(fe.path, "inline_keyboard["):
			return badRequest("can't parse inline keyboard button: %s", fe)
		case f.name == "reply_markup":
			return badRequest("can't parse reply keyboard markup JSON object: %s", fe)
		}
		return badRequest("can't parse %s JSON object: %s", f.name, fe)
	}
	r.json[f.name] = val
	return nil
}

func isScalar(t string) bool {
	switch t {
	case "Integer", "Float", "Boolean", "True", "String", "InputFile":
		return true
	}
	return false
}

// scalarOK coerces a string parameter the way Telegram's server does, but
// strictly: "12abc" is not an Integer.
func scalarOK(t, v string) bool {
	switch t {
	case "Integer":
		_, err := strconv.ParseInt(v, 10, 64)
		return err == nil
	case "Float":
		_, err := strconv.ParseFloat(v, 64)
		return err == nil
	case "Boolean":
		_, err := strconv.ParseBool(v)
		return err == nil
	case "True":
		b, err := strconv.ParseBool(v)
		return err == nil && b
	case "String":
		return true
	case "InputFile":
		return strings.HasPrefix(v, "attach://")
	}
	return false
}

// checkLimit applies a length range from the description. Where Telegram has
// its own words for a broken limit, they are used.
func checkLimit(method string, f *fieldSpec, v string) *apiError {
	l := f.limit
	n := utf16Len(v)
	if l.bytes {
		n = len(v)
	}
	if n >= l.min && n <= l.max {
		return nil
	}
	switch {
	case f.name == "text" && (method == "sendMessage" || method == "editMessageText"):
		if n == 0 {
			return badRequest("message text is empty")
		}
		return badRequest("message is too long")
	case f.name == "caption":
		return badRequest("message caption is too long")
	case f.name == "secret_token":
		return badRequest("secret token contains unallowed characters")
	case f.name == "text" && method == "answerCallbackQuery":
		return badRequest("MESSAGE_TOO_LONG")
	}
	unit := "characters"
	if l.bytes {
		unit = "bytes"
	}
	return badRequest("field %q must be %d-%d %s long", f.name, l.min, l.max, unit)
}

// fieldError is a structural error inside a JSON parameter.
type fieldError struct {
	path string
	msg  string
	desc string // Telegram's own description, when it has one
}

func (e *fieldError) String() string { return fmt.Sprintf("field %q %s", e.path, e.msg) }

// checker checks decoded JSON against the types of the description.
type checker struct{ spec *apiSpec }

// any accepts v when it matches one of the alternatives.
func (c checker) any(v any, alts []string, path string) *fieldError {
	if len(alts) == 1 {
		return c.check(v, alts[0], path)
	}
	obj, isObject := v.(map[string]any)
	if isObject {
		// A discriminated union ("type": "chat") names its member outright.
		var named []string
		for _, t := range alts {
			if ts := c.spec.types[t]; ts != nil && ts.discField != "" && obj[ts.discField] == ts.discValue {
				named = append(named, t)
			}
		}
		if len(named) == 1 {
			return c.check(v, named[0], path)
		}
	}
	var candidates []string
	for _, t := range alts {
		ts := c.spec.types[t]
		if !isObject || ts == nil || len(ts.subtypes) > 0 {
			candidates = append(candidates, t)
			continue
		}
		// An object alternative is a candidate when its required fields are
		// there and its discriminator (e.g. "type": "chat") matches.
		fits := true
		for _, name := range ts.order {
			if _, ok := obj[name]; ts.fields[name].required && !ok {
				fits = false
				break
			}
		}
		if ts.discField != "" && obj[ts.discField] != ts.discValue {
			fits = false
		}
		if fits {
			candidates = append(candidates, t)
		}
	}
	var first *fieldError
	for _, t := range candidates {
		fe := c.check(v, t, path)
		if fe == nil {
			return nil
		}
		if first == nil {
			first = fe
		}
	}
	if first != nil && len(candidates) == 1 {
		return first
	}
	if isObject {
		return &fieldError{path: path, msg: "must be one of " + strings.Join(alts, ", ")}
	}
	if first != nil {
		return first
	}
	return &fieldError{path: path, msg: "must be of type " + strings.Join(alts, " or ")}
}

func (c checker) check(v any, typ string, path string) *fieldError {
	if elem, ok := strings.CutPrefix(typ, "Array of "); ok {
		arr, ok := v.([]any)
		if !ok {
			return &fieldError{path: path, msg: "must be an Array"}
		}
		for i, e := range arr {
			if fe := c.check(e, elem, fmt.Sprintf("%s[%d]", path, i)); fe != nil {
				return fe
			}
		}
		return nil
	}
	wrong := &fieldError{path: path, msg: "must be of type " + typ}
	switch typ {
	case "Integer":
		if n, ok := v.(json.Number); ok {
			if _, err := n.Int64(); err == nil {
				return nil
			}
		}
		if s, ok := v.(string); ok && scalarOK("Integer", s) {
			return nil
		}
		return wrong
	case "Float":
		if n, ok := v.(json.Number); ok {
			if _, err := n.Float64(); err == nil {
				return nil
			}
		}
		if s, ok := v.(string); ok && scalarOK("Float", s) {
			return nil
		}
		return wrong
	case "Boolean":
		if _, ok := v.(bool); ok {
			return nil
		}
		return wrong
	case "True":
		if b, ok := v.(bool); ok && b {
			return nil
		}
		return wrong
	case "String", "InputFile":
		if _, ok := v.(string); ok {
			return nil
		}
		return wrong
	}
	ts := c.spec.types[typ]
	if ts == nil {
		return &fieldError{path: path, msg: "has a type this server does not know: " + typ}
	}
	if len(ts.subtypes) > 0 {
		return c.any(v, ts.subtypes, path)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return &fieldError{path: path, msg: "must be an Object of type " + typ}
	}
	if typ == "InlineKeyboardMarkup" && !arrayOfArrays(obj["inline_keyboard"]) {
		// What the client sends for an InlineKeyboardMarkup{} left empty.
		return &fieldError{desc: `field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays`}
	}
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if ts.fields[k] == nil {
			return &fieldError{path: path + "." + k, msg: "is not a field of " + typ}
		}
	}
	for _, name := range ts.order {
		f := ts.fields[name]
		fv, present := obj[name]
		if !present || fv == nil {
			if f.required {
				return &fieldError{path: path + "." + name, msg: "is required"}
			}
			continue
		}
		if fe := c.any(fv, f.types, path+"."+name); fe != nil {
			return fe
		}
		if s, isString := fv.(string); isString && f.limit != nil {
			if fe := checkFieldLimit(typ, f, s, obj, path+"."+name); fe != nil {
				return fe
			}
		}
	}
	return checkObjectRules(typ, obj, path)
}

func arrayOfArrays(v any) bool {
	rows, ok := v.([]any)
	if !ok {
		return false
	}
	for _, r := range rows {
		if _, ok := r.([]any); !ok {
			return false
		}
	}
	return true
}

// checkFieldLimit is checkLimit for a field inside a JSON object.
func checkFieldLimit(typ string, f *fieldSpec, s string, obj map[string]any, path string) *fieldError {
	l := f.limit
	measured := s
	if l.afterEntities {
		mode, _ := obj["parse_mode"].(string)
		ft, err := format(s, mode)
		if err != nil {
			return &fieldError{desc: "can't parse entities: " + err.Error()}
		}
		measured = ft.text
	}
	n := utf16Len(measured)
	if l.bytes {
		n = len(measured)
	}
	if n >= l.min && n <= l.max {
		return nil
	}
	switch typ + "." + f.name {
	case "InlineKeyboardButton.callback_data":
		return &fieldError{desc: "BUTTON_DATA_INVALID"}
	case "BotCommand.command":
		return &fieldError{desc: "BOT_COMMAND_INVALID"}
	case "BotCommand.description":
		return &fieldError{desc: "BOT_COMMAND_DESCRIPTION_INVALID"}
	}
	unit := "characters"
	if l.bytes {
		unit = "bytes"
	}
	return &fieldError{path: path, msg: fmt.Sprintf("must be %d-%d %s long", l.min, l.max, unit)}
}

var commandRe = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// checkObjectRules holds the rules of particular objects that the
// description states in prose.
func checkObjectRules(typ string, obj map[string]any, path string) *fieldError {
	switch typ {
	case "InlineKeyboardButton":
		actions := 0
		for k := range obj {
			switch k {
			case "text", "icon_custom_emoji_id", "style":
			default:
				actions++
			}
		}
		if actions == 0 {
			return &fieldError{desc: "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"}
		}
		if u, ok := obj["url"].(string); ok && !validButtonURL(u) {
			return &fieldError{desc: fmt.Sprintf("inline keyboard button URL '%s' is invalid: Wrong HTTP URL", u)}
		}
		if t, _ := obj["text"].(string); strings.TrimSpace(t) == "" {
			return &fieldError{desc: "BUTTON_TEXT_INVALID"}
		}
	case "KeyboardButton":
		if t, _ := obj["text"].(string); strings.TrimSpace(t) == "" {
			return &fieldError{desc: "BUTTON_TEXT_INVALID"}
		}
	case "BotCommand":
		if cmd, _ := obj["command"].(string); !commandRe.MatchString(cmd) {
			return &fieldError{desc: "BOT_COMMAND_INVALID"}
		}
	}
	return nil
}

func validButtonURL(u string) bool {
	for _, p := range []string{"http://", "https://", "tg://"} {
		if len(u) > len(p) && strings.EqualFold(u[:len(p)], p) {
			return true
		}
	}
	return false
}

// format applies a parse_mode. Markdown modes are accepted and shown as sent:
// this project writes HTML.
func format(s, mode string) (formatted, error) {
	switch strings.ToLower(mode) {
	case "html":
		return parseHTML(s)
	default:
		return plainFormatted(s), nil
	}
}

func knownParseMode(mode string) bool {
	switch strings.ToLower(mode) {
	case "", "html", "markdown", "markdownv2":
		return true
	}
	return false
}

var chatActions = map[string]bool{
	"typing": true, "upload_photo": true, "record_video": true, "upload_video": true,
	"record_voice": true, "upload_voice": true, "upload_document": true,
	"choose_sticker": true, "find_location": true, "record_video_note": true,
	"upload_video_note": true, "record_audio": true, "upload_audio": true,
}

var secretRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// checkRules applies the limits and rules that are per method.
func (s *Server) checkRules(m *methodSpec, r *request) *apiError {
	if mode, ok := r.params["parse_mode"]; ok && !knownParseMode(mode) {
		return badRequest("unsupported parse_mode")
	}
	for _, name := range m.order {
		f := m.fields[name]
		if f.limit == nil || !f.limit.afterEntities {
			continue
		}
		v, present := r.params[name]
		if !present && !f.required {
			continue
		}
		ft, err := format(v, r.params["parse_mode"])
		if err != nil {
			return badRequest("can't parse entities: %s", err)
		}
		if ents, ok := r.json[entitiesParam(name)]; ok {
			ft = withEntities(ft, ents)
		}
		if err := checkLimit(m.name, f, ft.text); err != nil {
			return err
		}
		r.formatted[name] = ft
	}
	if rm, ok := r.json["reply_markup"].(map[string]any); ok {
		if rows, ok := rm["inline_keyboard"].([]any); ok {
			n := 0
			for _, row := range rows {
				cells, _ := row.([]any)
				n += len(cells)
			}
			if n > 100 {
				return badRequest("REPLY_MARKUP_TOO_LONG")
			}
		}
	}
	switch m.name {
	case "editMessageText", "editMessageCaption", "editMessageReplyMarkup", "editMessageMedia":
		if r.params["inline_message_id"] == "" {
			if !r.has("chat_id") {
				return badRequest("chat_id is empty")
			}
			if !r.has("message_id") {
				return badRequest("message identifier is not specified")
			}
		}
	case "sendChatAction":
		if !chatActions[r.params["action"]] {
			return badRequest("wrong parameter action in request")
		}
	case "setMyCommands":
		if cmds, _ := r.json["commands"].([]any); len(cmds) > 100 {
			return badRequest("BOT_COMMANDS_TOO_MUCH")
		}
	case "setWebhook":
		if tok, ok := r.params["secret_token"]; ok && tok != "" && !secretRe.MatchString(tok) {
			return badRequest("secret token contains unallowed characters")
		}
	}
	if lang, ok := r.params["language_code"]; ok && lang != "" && !langRe.MatchString(lang) {
		return badRequest("invalid language_code specified")
	}
	return nil
}

var langRe = regexp.MustCompile(`^[a-z]{2}$`)

func entitiesParam(name string) string {
	if name == "text" {
		return "entities"
	}
	return name + "_entities"
}

// withEntities uses entities the bot passed explicitly instead of parse_mode.
func withEntities(ft formatted, v any) formatted {
	b, err := json.Marshal(v)
	if err != nil {
		return ft
	}
	var ents []entity
	if json.NewDecoder(bytes.NewReader(b)).Decode(&ents) == nil {
		ft.entities = ents
	}
	return ft
}
