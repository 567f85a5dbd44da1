package bot

import "testing"

func TestCleanText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain tea", "plain tea"},
		{"black\x00tea", "blacktea"},
		{"a\x01b\x1fc\x7fd\u0085e\u009fF", "abcdeF"},
		{"two\nlines\tand a tab", "two\nlines\tand a tab"},
		{"bad \xff\xfe utf-8", "bad  utf-8"},
		{"中文 и русский", "中文 и русский"},
	}
	for _, tt := range tests {
		if got := cleanText(tt.in); got != tt.want {
			t.Errorf("cleanText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
