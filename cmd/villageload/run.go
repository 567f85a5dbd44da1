package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"villagebot/bot/telegramtest"
)

// Main is one run of the load generator.
type Main struct {
	cfg    Config
	out    io.Writer
	errOut io.Writer

	env  *env
	logs *logSink
}

// NewMain returns a run of cfg that reports to out and logs to errOut.
func NewMain(cfg Config, out, errOut io.Writer) *Main {
	return &Main{cfg: cfg, out: out, errOut: errOut, logs: newLogSink(errOut)}
}

// User ids of the phases, far apart so that no phase meets another's chats.
const (
	echoUserBase    = 1_000_000
	loadUserBase    = 2_000_000
	sessionUserBase = 3_000_000
)

// sessionsPhaseLimit bounds the -sessions phase.
const sessionsPhaseLimit = 10 * time.Minute

// Run runs every phase the config asks for, prints the report and returns
// it.
func (m *Main) Run(ctx context.Context) (*Report, error) {
	c := m.cfg
	rep := &Report{Config: c, Started: time.Now(), Load1: loadAverage()}
	var err error
	if m.env, err = newEnv(ctx, c); err != nil {
		return nil, err
	}
	load := c.Duration > 0 || c.Updates > 0
	fmt.Fprintf(m.errOut, "villageload: database %s, redis prefix %s, %d checkout products\n", m.env.dbName, m.env.prefix, len(m.env.checkout))

	if c.Echo && load {
		if rep.Echo, err = m.echoPhase(ctx); err != nil {
			return nil, err
		}
	}
	if load || c.Sessions > 0 {
		if err := m.villagebotPhases(ctx, rep, load); err != nil {
			return nil, err
		}
	}
	rep.Warns, rep.Errors, rep.LogTop = m.logs.counts()
	rep.Load15 = loadAverage()
	rep.Print(m.out)
	return rep, ctx.Err()
}

// Close drops the run's database and Redis keys.
func (m *Main) Close() {
	if m.env != nil {
		m.env.close()
		m.env = nil
	}
}

func (m *Main) echoPhase(ctx context.Context) (*Phase, error) {
	srv := telegramtest.NewServer()
	defer srv.Close()
	proc, err := startBot(ctx, botSpec{Role: roleEcho, APIURL: srv.URL(), Token: srv.Token(), Workers: m.cfg.Workers}, m.cfg.InProc, m.logs)
	if err != nil {
		return nil, fmt.Errorf("echo bot: %w", err)
	}
	p := m.drive(ctx, srv, proc.pid, "echo", echoUserBase, 0, echo)
	p.Mem = readMem(proc.pid)
	if err := proc.stop(); err != nil {
		m.logs.Write([]byte("echo bot stopped: " + err.Error() + " level=WARN\n"))
	}
	p.Violations = len(srv.Violations())
	return p, nil
}

func (m *Main) villagebotPhases(ctx context.Context, rep *Report, load bool) error {
	c := m.cfg
	srv := telegramtest.NewServer()
	defer srv.Close()
	spec := botSpec{
		Role: roleBot, APIURL: srv.URL(), Token: srv.Token(),
		DBURL: m.env.dbURL, RedisURL: m.env.redisURL, Prefix: m.env.prefix,
		Workers: c.Workers, CPUProfile: c.CPUProfile, MemProfile: c.MemProfile,
		Webhook: c.Webhook,
	}
	proc, err := startBot(ctx, spec, c.InProc, m.logs)
	if err != nil {
		return fmt.Errorf("villagebot: %w", err)
	}
	rep.BotPID = proc.pid
	var journey func(context.Context, *vuser) error
	switch c.Mix {
	case MixBrowse:
		journey = browse
	case MixCheckout:
		journey = checkout(m.env.checkout)
	default:
		journey = mixed(m.env.checkout)
	}
	if load && ctx.Err() == nil {
		rep.Load = m.drive(ctx, srv, proc.pid, "villagebot "+c.Mix, loadUserBase, c.Rate, journey)
		rep.Load.Mem = readMem(proc.pid)
	}
	if c.Sessions > 0 && ctx.Err() == nil {
		rep.PeakReset = resetPeak(proc.pid) == nil
		rep.Sessions = m.fillSessions(ctx, srv, proc.pid)
		rep.Sessions.Mem = readMem(proc.pid)
		rep.LiveSessions, rep.SessionBytes, _ = m.env.sessions(context.WithoutCancel(ctx))
	}
	if err := proc.stop(); err != nil {
		m.logs.Write([]byte("villagebot stopped: " + err.Error() + " level=WARN\n"))
	}
	rep.Violations = len(srv.Violations())
	for i, v := range srv.Violations() {
		if i == 5 {
			break
		}
		m.logs.Write([]byte("violation: " + v.String() + " level=WARN\n"))
	}
	return nil
}

// drive runs users making journeys for the warm-up and the measured time
// (or until -updates updates were made in it), then stops them.
func (m *Main) drive(ctx context.Context, srv *telegramtest.Server, pid int, name string, base int64, rate float64, journey func(context.Context, *vuser) error) *Phase {
	c := m.cfg
	began := time.Now()
	rec := newRecorder(began.Add(c.Warmup), c.Updates, c.Timeout)
	fl := newFleet(srv, base, rec)
	fl.lang = func(i int) string { return [...]string{"en", "zh", "ru"}[i%3] }
	stopWatch := fl.watch()
	defer stopWatch()

	var think time.Duration
	if rate > 0 {
		think = time.Duration(float64(c.Users) / rate * float64(time.Second))
	}
	phaseCtx, stopUsers := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i := range c.Users {
		u := fl.add(i, c.Seed, think)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for phaseCtx.Err() == nil {
				if err := journey(phaseCtx, u); err != nil {
					rec.fail(err)
				}
			}
		}()
	}

	measured := c.Duration
	if measured == 0 {
		measured = sessionsPhaseLimit // -updates ends it
	}
	var cpu0 cpuSample
	var calls0 telegramtest.Stats
	warm := time.NewTimer(c.Warmup)
	select {
	case <-warm.C:
		cpu0, calls0 = sampleCPU(pid), srv.Stats()
	case <-ctx.Done():
	}
	end := time.NewTimer(measured)
	select {
	case <-end.C:
	case <-rec.full:
	case <-ctx.Done():
	}
	stoppedAt := time.Now()
	rec.close(stoppedAt)
	fl.censor(stoppedAt)
	cpu1, calls1 := sampleCPU(pid), srv.Stats()
	stopUsers()
	wg.Wait()

	p := rec.phase(name, c.Users, rate)
	p.CPU = cpu1.since(cpu0)
	p.Calls = callsPerUpdate(calls0, calls1, p.Made)
	return p
}

// fillSessions makes -sessions distinct users, each with a session and a
// cart, -users at a time.
func (m *Main) fillSessions(ctx context.Context, srv *telegramtest.Server, pid int) *Phase {
	c := m.cfg
	ctx, cancel := context.WithTimeout(ctx, sessionsPhaseLimit)
	defer cancel()
	began := time.Now()
	rec := newRecorder(began, 0, c.Timeout)
	fl := newFleet(srv, sessionUserBase, rec)
	stopWatch := fl.watch()
	defer stopWatch()
	cpu0, calls0 := sampleCPU(pid), srv.Stats()
	fill := fillCart(m.env.checkout)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(c.Users, c.Sessions) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= c.Sessions {
					return
				}
				u := fl.add(i, c.Seed, 0)
				if err := fill(ctx, u); err != nil {
					rec.fail(err)
				}
				u.mu.Lock()
				u.events, u.screen = nil, telegramtest.Message{}
				u.mu.Unlock()
			}
		}()
	}
	wg.Wait()
	stoppedAt := time.Now()
	rec.close(stoppedAt)
	p := rec.phase(fmt.Sprintf("sessions (%d users)", c.Sessions), min(c.Users, c.Sessions), 0)
	p.CPU = sampleCPU(pid).since(cpu0)
	p.Calls = callsPerUpdate(calls0, srv.Stats(), p.Made)
	return p
}

// callsPerUpdate is the Bot API calls per update made, by method.
func callsPerUpdate(before, after telegramtest.Stats, updates int64) map[string]float64 {
	out := map[string]float64{}
	if updates == 0 {
		return out
	}
	for method, n := range after.Methods {
		if d := n - before.Methods[method]; d > 0 {
			out[method] = float64(d) / float64(updates)
		}
	}
	return out
}
