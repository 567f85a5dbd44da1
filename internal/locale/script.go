package locale

import (
	"sync"

	"github.com/longbridgeapp/opencc"
)

// toTraditional converts simplified Chinese to traditional with OpenCC's
// phrase and character tables; it is built on first use (its tables take
// a moment to load) and shared, Convert being safe for concurrent use.
var toTraditional = sync.OnceValues(func() (*opencc.OpenCC, error) {
	return opencc.New("s2t")
})

// Script writes s in the script the reader reads: for a reader of
// traditional Chinese, simplified characters become traditional ones
// ("五指山红茶" → "五指山紅茶"); for everyone else, and for text with no
// Chinese, s is returned as it is. Catalog texts and message catalogue
// texts go through it; what a visitor typed does not.
func (c Choice) Script(s string) string {
	if c.Lang != "zh" || !c.Traditional || !hasHan(s) {
		return s
	}
	cc, err := toTraditional()
	if err != nil {
		return s
	}
	t, err := cc.Convert(s)
	if err != nil {
		return s
	}
	return t
}

func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x2E80 && r <= 0x323AF {
			return true
		}
	}
	return false
}
