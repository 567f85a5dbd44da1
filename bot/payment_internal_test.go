package bot

import "testing"

// The payment callbacks fit Telegram's 64 bytes at their largest, and
// parse back.
func TestPaymentCallbackDataFits64Bytes(t *testing.T) {
	const big = int64(1<<53 - 1)
	for _, d := range []string{
		cb(cbPayNow, big), cb(cbPaidAsk, big), cbPaidMethodData(big, 9), cb(cbRefundYes, big), cb(cbRefundNo, big),
	} {
		if len(d) == 0 || len(d) > maxCallbackData {
			t.Errorf("callback data %q is %d bytes", d, len(d))
		}
		if parseCallback(d).Kind == "" {
			t.Errorf("callback data %q does not parse", d)
		}
	}
}

func TestParseMethod(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"wechat", "wechat", true}, {"WeChat", "wechat", true}, {"微信", "wechat", true},
		{"CASH", "cash", true}, {"现金", "cash", true}, {"支付宝", "alipay", true}, {"карта", "card", true},
		{"bank", "bank", true}, {"telegram", "", false}, {"bitcoin", "", false}, {"", "", false},
	} {
		m, ok := parseMethod(tc.in)
		if ok != tc.ok || ok && string(m) != tc.want {
			t.Errorf("parseMethod(%q) = %q, %v; want %q, %v", tc.in, m, ok, tc.want, tc.ok)
		}
	}
}
