package bot

import (
	"encoding/json"
	"testing"
)

// The quick read of a leading update_id agrees with decoding, and leaves
// anything else to decoding.
func TestLeadingUpdateID(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		raw  string
		id   int
		read bool
	}{
		{`{"update_id":123,"message":{}}`, 123, true},
		{`{"update_id":7}`, 7, true},
		{`{"update_id":0,"x":1}`, 0, true},
		{`{"update_id": 123,"message":{}}`, 0, false}, // a space: decoded instead
		{`{"message":{},"update_id":9}`, 0, false},
		{`{"update_id":-1,"x":1}`, 0, false},
		{`{"update_id":12a,"x":1}`, 0, false},
		{`{"update_id":1234567890123,"x":1}`, 0, false}, // past 12 digits
		{`{"update_id":123`, 0, false},
		{`{"update_id":`, 0, false},
		{``, 0, false},
	} {
		id, ok := leadingUpdateID([]byte(tt.raw))
		if id != tt.id || ok != tt.read {
			t.Errorf("leadingUpdateID(%s) = %d, %v; want %d, %v", tt.raw, id, ok, tt.id, tt.read)
		}
		if ok {
			var head struct {
				UpdateID int `json:"update_id"`
			}
			if err := json.Unmarshal([]byte(tt.raw), &head); err == nil && head.UpdateID != id {
				t.Errorf("%s: read %d, decoded %d", tt.raw, id, head.UpdateID)
			}
		}
	}
}
