package main

import (
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Phase is what one phase measured.
type Phase struct {
	Name    string
	Users   int
	Rate    float64       // the pace asked for; 0: unpaced
	Window  time.Duration // the measured time
	Made    int64         // updates made in it
	Updates int           // of those, answered (the bot's first reply seen)
	Open    int           // of those, unanswered at the end; in the percentiles with the time waited so far
	Stuck   int           // updates unanswered for over a second at the end, made in the window or before
	Orders  int           // orders confirmed in it
	Short   int           // checkouts refused for want of stock
	P50     time.Duration // from the update made to the bot's first reply
	P95     time.Duration
	P99     time.Duration
	Max     time.Duration
	// Done50 and Done99 are from the update made to the end of its step
	// (the reply the user waits for before acting again), p50 and p99.
	Done50, Done99 time.Duration
	LagP99         time.Duration // the watcher's own delay: event made → seen
	LagMax         time.Duration
	Errors         map[string]int     // failed journey steps
	Done           map[string]int     // journeys completed, by name
	Calls          map[string]float64 // Bot API calls per update, by method
	Steps          []StepLatency      // by journey step, slowest p99 first
	CPU            cpuUse
	Mem            mem
	// Violations are requests the in-memory Telegram refused as wrong.
	Violations int
}

// StepLatency is the latency of one kind of update.
type StepLatency struct {
	Step     string
	N        int
	P50, P99 time.Duration
}

// UpdatesPerSec is answered updates per second of the measured time.
func (p *Phase) UpdatesPerSec() float64 { return float64(p.Updates) / p.Window.Seconds() }

// OrdersPerSec is orders per second of the measured time.
func (p *Phase) OrdersPerSec() float64 { return float64(p.Orders) / p.Window.Seconds() }

// phase summarises the window the recorder measured.
func (r *recorder) phase(name string, users int, rate float64) *Phase {
	r.mu.Lock()
	defer r.mu.Unlock()
	from, to := r.start.UnixNano(), r.end.Load()
	p := &Phase{Name: name, Users: users, Rate: rate, Window: time.Duration(to - from), Made: r.counted.Load(), Errors: maps.Clone(r.errs), Done: maps.Clone(r.done), Short: r.short}
	var lats []time.Duration
	byStep := map[string][]time.Duration{}
	for _, s := range r.samples {
		if s.open && s.lat > time.Second {
			p.Stuck++
		}
		if s.at < from || s.at >= to {
			continue
		}
		if s.open {
			p.Open++
		}
		lats = append(lats, s.lat)
		byStep[s.step] = append(byStep[s.step], s.lat)
	}
	for step, l := range byStep {
		slices.Sort(l)
		p.Steps = append(p.Steps, StepLatency{Step: step, N: len(l), P50: pct(l, 50), P99: pct(l, 99)})
	}
	slices.SortFunc(p.Steps, func(a, b StepLatency) int { return int(b.P99 - a.P99) })
	p.Updates = len(lats) - p.Open
	slices.Sort(lats)
	p.P50, p.P95, p.P99 = pct(lats, 50), pct(lats, 95), pct(lats, 99)
	if len(lats) > 0 {
		p.Max = lats[len(lats)-1]
	}
	var done []time.Duration
	for _, s := range r.completions {
		if s.at >= from && s.at < to {
			done = append(done, s.lat)
		}
	}
	slices.Sort(done)
	p.Done50, p.Done99 = pct(done, 50), pct(done, 99)
	for _, t := range r.orders {
		if n := t.UnixNano(); n >= from && n < to {
			p.Orders++
		}
	}
	lags := slices.Clone(r.lags)
	slices.Sort(lags)
	p.LagP99 = pct(lags, 99)
	if len(lags) > 0 {
		p.LagMax = lags[len(lags)-1]
	}
	return p
}

// pct is the q-th percentile of sorted values (nearest rank).
func pct(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*q/100+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// mem is a process's resident memory, from /proc/PID/status.
type mem struct {
	RSS  int64 // VmRSS, bytes
	Peak int64 // VmHWM, bytes: the peak since start or since resetPeak
}

func readMem(pid int) mem {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return mem{}
	}
	var m mem
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		kb, _ := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "VmRSS":
			m.RSS = kb * 1024
		case "VmHWM":
			m.Peak = kb * 1024
		}
	}
	return m
}

// resetPeak starts VmHWM afresh (Linux: "5" to clear_refs).
func resetPeak(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// cpuSample is CPU time used so far, in clock ticks.
type cpuSample struct {
	at        time.Time
	bot, self int64
	postgres  int64 // every postgres process: other users' load too
	redis     int64
	busy, all int64 // the machine
}

// cpuUse is CPU used over a window, in cores (1.0 = one core all along).
type cpuUse struct {
	Bot, Self, Postgres, Redis, Machine float64
}

const clockTicks = 100 // USER_HZ on Linux

func sampleCPU(pid int) cpuSample {
	s := cpuSample{at: time.Now(), bot: procTicks(strconv.Itoa(pid)), self: procTicks("self")}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		data, err := os.ReadFile(d + "/stat")
		if err != nil {
			continue
		}
		comm, ticks := parseStat(string(data))
		switch {
		case comm == "postgres":
			s.postgres += ticks
		case strings.HasPrefix(comm, "redis-server"):
			s.redis += ticks
		}
	}
	if data, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(data), "\n")
		f := strings.Fields(line)
		for i, v := range f[1:] {
			n, _ := strconv.ParseInt(v, 10, 64)
			if i >= 8 { // guest time is already in user
				break
			}
			s.all += n
			if i != 3 && i != 4 { // idle, iowait
				s.busy += n
			}
		}
	}
	return s
}

func procTicks(pid string) int64 {
	data, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0
	}
	_, t := parseStat(string(data))
	return t
}

// parseStat returns the command name and utime+stime of a /proc/PID/stat.
func parseStat(s string) (string, int64) {
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return "", 0
	}
	f := strings.Fields(s[end+1:])
	if len(f) < 13 {
		return "", 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return s[open+1 : end], u + st
}

func (s cpuSample) since(before cpuSample) cpuUse {
	secs := s.at.Sub(before.at).Seconds()
	if secs <= 0 || before.at.IsZero() {
		return cpuUse{}
	}
	cores := func(d int64) float64 { return float64(d) / clockTicks / secs }
	u := cpuUse{Bot: cores(s.bot - before.bot), Self: cores(s.self - before.self), Postgres: cores(s.postgres - before.postgres), Redis: cores(s.redis - before.redis)}
	if all := s.all - before.all; all > 0 {
		u.Machine = float64(s.busy-before.busy) / float64(all) * float64(runtime.NumCPU())
	}
	return u
}

func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// Report is a whole run.
type Report struct {
	Config       Config
	Started      time.Time
	BotPID       int
	Echo         *Phase
	Load         *Phase
	Sessions     *Phase
	LiveSessions int   // session keys in Redis after the -sessions phase
	SessionBytes int64 // what Redis holds for them (sampled)
	PeakReset    bool  // the peak RSS of the sessions phase is its own
	Violations   int
	Warns        int
	Errors       int
	LogTop       map[string]int
	Load1        string // load average before the run
	Load15       string // and after
}

// Ratio is villagebot's throughput over the echo bot's, or 0.
func (r *Report) Ratio() float64 {
	if r.Echo == nil || r.Load == nil || r.Echo.UpdatesPerSec() == 0 {
		return 0
	}
	return r.Load.UpdatesPerSec() / r.Echo.UpdatesPerSec()
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }

// Print writes the report as a table and notes.
func (r *Report) Print(w io.Writer) {
	c := r.Config
	where := "child process"
	if c.InProc {
		where = "in-process (memory is the whole process: bot + in-memory Telegram + users)"
	}
	hot := "20 products"
	if c.Hot {
		hot = "one hot product"
	}
	receive := "long polling"
	if c.Webhook {
		receive = "webhook"
	}
	fmt.Fprintf(w, "\nvillageload: mix=%s (%s) users=%d rate=%s workers=%d warmup=%v duration=%v cpus=%d bot=%s, %s\n",
		c.Mix, hot, c.Users, rateText(c.Rate), c.Workers, c.Warmup, c.Duration, runtime.NumCPU(), where, receive)
	fmt.Fprintf(w, "load average before %s, after %s\n\n", r.Load1, r.Load15)
	fmt.Fprintf(w, "%-26s %6s %8s %10s %9s %8s %8s %8s %8s %10s %10s\n", "phase", "users", "updates", "updates/s", "orders/s", "p50", "p95", "p99", "max", "rss", "peak rss")
	for _, p := range []*Phase{r.Echo, r.Load, r.Sessions} {
		if p == nil {
			continue
		}
		fmt.Fprintf(w, "%-26s %6d %8d %10.0f %9.1f %8s %8s %8s %8s %10s %10s\n", p.Name, p.Users, p.Updates, p.UpdatesPerSec(), p.OrdersPerSec(),
			ms(p.P50), ms(p.P95), ms(p.P99), ms(p.Max), mb(p.Mem.RSS), mb(p.Mem.Peak))
	}
	fmt.Fprintln(w)
	if ratio := r.Ratio(); ratio > 0 {
		note := ""
		if c.Rate > 0 {
			note = " (the villagebot phase was paced by -rate: this is not a capacity ratio)"
		}
		fmt.Fprintf(w, "villagebot / echo bot throughput: %.2f×%s\n", ratio, note)
	}
	for _, p := range []*Phase{r.Echo, r.Load, r.Sessions} {
		if p == nil {
			continue
		}
		fmt.Fprintf(w, "%s: %d updates made in %.1fs, %d answered, %d waiting at the end (%d of all for over 1s)", p.Name, p.Made, p.Window.Seconds(), p.Updates, p.Open, p.Stuck)
		if p.Orders > 0 || p.Short > 0 {
			fmt.Fprintf(w, ", %d orders, %d refused short", p.Orders, p.Short)
		}
		fmt.Fprintf(w, "; cpu (cores): bot %.2f, load generator %.2f, postgres %.2f, redis %.2f, machine %.2f of %d",
			p.CPU.Bot, p.CPU.Self, p.CPU.Postgres, p.CPU.Redis, p.CPU.Machine, runtime.NumCPU())
		if c.InProc {
			fmt.Fprint(w, " (bot and generator are one process)")
		}
		if rate := p.UpdatesPerSec(); rate > 0 {
			per := func(cores float64) string { return fmt.Sprintf("%.3f", cores/rate*1000) }
			fmt.Fprintf(w, "; cpu ms per update: bot %s, generator %s, postgres %s, redis %s", per(p.CPU.Bot), per(p.CPU.Self), per(p.CPU.Postgres), per(p.CPU.Redis))
		}
		fmt.Fprintf(w, "; watcher lag p99 %s max %s\n", ms(p.LagP99), ms(p.LagMax))
		fmt.Fprintf(w, "  to the end of the step (the reply waited for): p50 %s, p99 %s\n", ms(p.Done50), ms(p.Done99))
		if len(p.Calls) > 0 {
			fmt.Fprint(w, "  Bot API calls per update:")
			for _, k := range slices.Sorted(maps.Keys(p.Calls)) {
				fmt.Fprintf(w, " %s %.2f", k, p.Calls[k])
			}
			fmt.Fprintln(w)
		}
		if len(p.Steps) > 1 {
			fmt.Fprint(w, "  by step (p50/p99):")
			for _, st := range p.Steps {
				fmt.Fprintf(w, " %s %s/%s;", st.Step, ms(st.P50), ms(st.P99))
			}
			fmt.Fprintln(w)
		}
		for _, k := range slices.Sorted(maps.Keys(p.Errors)) {
			fmt.Fprintf(w, "  failed: %s ×%d\n", k, p.Errors[k])
		}
	}
	if r.Sessions != nil {
		peak := "peak since the bot started"
		if r.PeakReset {
			peak = "peak during that phase"
		}
		fmt.Fprintf(w, "after %d users each /start-ed and added to the cart: %d live sessions in Redis (about %s there); bot process RSS %s, %s %s\n",
			c.Sessions, r.LiveSessions, mb(r.SessionBytes), mb(r.Sessions.Mem.RSS), peak, mb(r.Sessions.Mem.Peak))
	}
	fmt.Fprintf(w, "bot log: %d warnings, %d errors; Telegram violations: %d\n", r.Warns, r.Errors, r.Violations)
	for _, k := range slices.Sorted(maps.Keys(r.LogTop)) {
		fmt.Fprintf(w, "  %q ×%d\n", k, r.LogTop[k])
	}
}

func rateText(r float64) string {
	if r == 0 {
		return "unpaced"
	}
	return fmt.Sprintf("%.0f/s", r)
}
