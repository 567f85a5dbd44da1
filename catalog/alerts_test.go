package catalog_test

import (
	"context"
	"errors"
	"testing"

	"villagebot/catalog"
)

// Office alerts are on from the grant, turn off and on again, survive a
// new grant of the same role, and exist only for office staff.
func TestOfficeAlertsTurnOnAndOff(t *testing.T) {
	t.Parallel()
	s, _ := demoStore(t)
	ctx := context.Background()
	if _, err := s.Grant(ctx, 7001, catalog.Office, "", "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Grant(ctx, 9001, catalog.Coordinator, "maona", "test"); err != nil {
		t.Fatal(err)
	}
	if on, err := s.Alerts(ctx, 7001); err != nil || !on {
		t.Fatalf("Alerts() after the grant = %v, %v; want on", on, err)
	}
	if err := s.SetAlerts(ctx, 7001, false); err != nil {
		t.Fatal(err)
	}
	if on, err := s.Alerts(ctx, 7001); err != nil || on {
		t.Fatalf("Alerts() after off = %v, %v; want off", on, err)
	}
	if _, err := s.Grant(ctx, 7001, catalog.Office, "", "test"); err != nil {
		t.Fatal(err)
	}
	if on, err := s.Alerts(ctx, 7001); err != nil || on {
		t.Errorf("Alerts() after granting again = %v, %v; want still off", on, err)
	}
	if err := s.SetAlerts(ctx, 7001, true); err != nil {
		t.Fatal(err)
	}
	if on, err := s.Alerts(ctx, 7001); err != nil || !on {
		t.Errorf("Alerts() after on = %v, %v; want on", on, err)
	}
	for _, id := range []int64{9001, 12345} {
		if err := s.SetAlerts(ctx, id, false); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("SetAlerts(%d) = %v, want ErrNotFound", id, err)
		}
		if _, err := s.Alerts(ctx, id); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("Alerts(%d) = %v, want ErrNotFound", id, err)
		}
	}
}
