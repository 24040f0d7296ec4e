package kafkahotloop

import (
	"flag"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/streamaudit/streamaudit/analyzers/internal/directive"
	"github.com/streamaudit/streamaudit/analyzers/internal/kafkalib"
	"github.com/streamaudit/streamaudit/analyzers/internal/kafkareach"
)

// Rule is the streamaudit rule ID this analyzer reports.
const Rule = "kafka-hotloop"

// Options configure the analyzer.
type Options struct {
	// HonorIgnore drops findings suppressed by //streamaudit:ignore.
	HonorIgnore bool
}

// Analyzer is the analyzer with default options.
var Analyzer = New(Options{HonorIgnore: true})

// New returns an independently configured analyzer.
func New(o Options) *analysis.Analyzer {
	r := &runner{honor: o.HonorIgnore}
	a := &analysis.Analyzer{
		Name:             "kafkahotloop",
		Doc:              "report broker round trips and goroutine launches inside Kafka poll loops (rule kafka-hotloop)",
		URL:              "https://github.com/streamaudit/streamaudit/blob/main/docs/CHECKS.md#kafka-hotloop",
		FactTypes:        []analysis.Fact{new(funcFact)},
		Requires:         []*analysis.Analyzer{kafkareach.Analyzer},
		Run:              r.run,
		RunDespiteErrors: true,
	}
	a.Flags.Init("kafkahotloop", flag.ContinueOnError)
	a.Flags.BoolVar(&r.honor, "ignore-directives", o.HonorIgnore, "honour //streamaudit:ignore kafka-hotloop comments")
	return a
}

type runner struct{ honor bool }

// funcFact summarises what calling a function costs.
type funcFact struct {
	RoundTrip string // the round trip it performs ("" if none)
	Spawns    bool   // it starts a goroutine itself (not transitively: the standard library does so often)
	Polls     bool   // it polls records
}

func (*funcFact) AFact() {}
func (f *funcFact) String() string {
	var p []string
	if f.RoundTrip != "" {
		p = append(p, "roundtrip:"+f.RoundTrip)
	}
	if f.Spawns {
		p = append(p, "spawns")
	}
	if f.Polls {
		p = append(p, "polls")
	}
	return "hotloop(" + strings.Join(p, ",") + ")"
}

var pollCalls = map[string]bool{
	"kgo.Client.PollFetches":         true,
	"kgo.Client.PollRecords":         true,
	"kafkago.Reader.ReadMessage":     true,
	"kafkago.Reader.FetchMessage":    true,
	"confluent.Consumer.Poll":        true,
	"confluent.Consumer.ReadMessage": true,
}

var messageChans = map[string]bool{
	"sarama.ConsumerGroupClaim.Messages": true,
	"sarama.PartitionConsumer.Messages":  true,
}

var roundTrips = map[string]bool{
	"kgo.Client.Request":                       true,
	"kgo.Client.RequestSharded":                true,
	"kgo.Client.ForceMetadataRefresh":          true,
	"kgo.NewClient":                            true,
	"kadm.NewOptClient":                        true,
	"sarama.Client.GetOffset":                  true,
	"sarama.Client.RefreshMetadata":            true,
	"sarama.Client.RefreshCoordinator":         true,
	"sarama.Client.Controller":                 true,
	"sarama.NewClient":                         true,
	"sarama.NewClusterAdmin":                   true,
	"sarama.NewConsumer":                       true,
	"sarama.NewSyncProducer":                   true,
	"sarama.NewAsyncProducer":                  true,
	"sarama.NewConsumerGroup":                  true,
	"kafkago.Conn.ReadOffsets":                 true,
	"kafkago.Conn.ReadLastOffset":              true,
	"kafkago.Conn.ReadFirstOffset":             true,
	"kafkago.Conn.ReadOffset":                  true,
	"kafkago.Conn.ReadPartitions":              true,
	"kafkago.Dial":                             true,
	"kafkago.DialContext":                      true,
	"kafkago.DialLeader":                       true,
	"kafkago.DialPartition":                    true,
	"kafkago.Dialer.DialContext":               true,
	"kafkago.Dialer.DialLeader":                true,
	"kafkago.Dialer.LookupPartitions":          true,
	"confluent.Consumer.QueryWatermarkOffsets": true,
	"confluent.Consumer.OffsetsForTimes":       true,
	"confluent.Consumer.GetMetadata":           true,
	"confluent.Consumer.Committed":             true,
	"confluent.Producer.QueryWatermarkOffsets": true,
	"confluent.Producer.GetMetadata":           true,
	"confluent.NewConsumer":                    true,
	"confluent.NewProducer":                    true,
	"confluent.NewAdminClient":                 true,
}

// allMethodsRoundTrip lists receivers whose every method except these costs a round trip.
var allMethodsRoundTrip = map[string]map[string]bool{
	"kadm.Client":           {"Close": true, "SetTimeoutMillis": true, "Client": true},
	"sarama.ClusterAdmin":   {"Close": true},
	"kafkago.Client":        {},
	"confluent.AdminClient": {"Close": true, "String": true},
}

// roundTrip returns the key of a call that costs a broker round trip, or "".
func roundTrip(key string) string {
	if key == "" {
		return ""
	}
	if roundTrips[key] {
		return key
	}
	if strings.HasPrefix(key, "kmsg.") && strings.HasSuffix(key, ".RequestWith") {
		return key
	}
	if i := strings.LastIndexByte(key, '.'); i > 0 {
		if except, ok := allMethodsRoundTrip[key[:i]]; ok && !except[key[i+1:]] {
			return key
		}
	}
	return ""
}

type pkg struct {
	pass  *analysis.Pass
	decls map[*types.Func]*ast.FuncDecl
	sum   map[*types.Func]*funcFact
	rep   *directive.Reporter
	seen  map[ast.Node]bool
}

func (r *runner) run(pass *analysis.Pass) (any, error) {
	if pass.TypesInfo == nil || kafkalib.IsKafka(kafkalib.Short(pass.Pkg.Path())) {
		return nil, nil
	}
	if !kafkareach.Of(pass).Kafka {
		spawnsOnly(pass)
		return nil, nil
	}
	p := &pkg{pass: pass, decls: map[*types.Func]*ast.FuncDecl{}, sum: map[*types.Func]*funcFact{},
		rep: &directive.Reporter{Pass: pass, Rule: Rule, Honor: r.honor}, seen: map[ast.Node]bool{}}
	for _, f := range pass.Files {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
				if fn, ok := pass.TypesInfo.Defs[fd.Name].(*types.Func); ok {
					p.decls[fn] = fd
				}
			}
		}
	}
	p.summarise()
	for _, f := range pass.Files {
		p.scan(f, nil)
	}
	for fn, s := range p.sum {
		if s.RoundTrip != "" || s.Spawns || s.Polls {
			pass.ExportObjectFact(fn, s)
		}
	}
	return nil, nil
}

// spawnsOnly is run for a package that reaches no Kafka library: it can contain no poll
// loop, round trip or poll, so the only summary it can have is Spawns (a go statement in
// the function's body), which is all it exports.
func spawnsOnly(pass *analysis.Pass) {
	for _, f := range pass.Files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			fn, ok := pass.TypesInfo.Defs[fd.Name].(*types.Func)
			if !ok {
				continue
			}
			spawns := false
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				if _, ok := n.(*ast.GoStmt); ok {
					spawns = true
				}
				return !spawns
			})
			if spawns {
				pass.ExportObjectFact(fn, &funcFact{Spawns: true})
			}
		}
	}
}

func (p *pkg) fact(fn *types.Func) *funcFact {
	if fn == nil {
		return nil
	}
	fn = fn.Origin()
	if s, ok := p.sum[fn]; ok {
		return s
	}
	if fn.Pkg() != nil && kafkalib.IsKafka(kafkalib.Short(fn.Pkg().Path())) {
		return nil // library calls are judged by the tables, not by their implementation
	}
	if fn.Pkg() != nil && fn.Pkg() != p.pass.Pkg {
		var f funcFact
		if p.pass.ImportObjectFact(fn, &f) {
			return &f
		}
	}
	return nil
}

// summarise computes the package's function summaries to a fixpoint.
func (p *pkg) summarise() {
	for changed, iter := true, 0; changed && iter < 10; iter++ {
		changed = false
		for fn, fd := range p.decls {
			s := p.sum[fn]
			if s == nil {
				s = &funcFact{}
			}
			before := *s
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.GoStmt:
					s.Spawns = true
					return false
				case *ast.CallExpr:
					callee := kafkalib.Callee(p.pass.TypesInfo, n)
					key := kafkalib.FuncKey(callee)
					if rt := roundTrip(key); rt != "" && s.RoundTrip == "" {
						s.RoundTrip = rt
					}
					if pollCalls[key] || messageChans[key] {
						s.Polls = true
					}
					if callee != nil && callee.Origin() != fn {
						if f := p.fact(callee); f != nil {
							if s.RoundTrip == "" && f.RoundTrip != "" {
								s.RoundTrip = f.RoundTrip
							}
							s.Polls = s.Polls || f.Polls
						}
					}
				}
				return true
			})
			if *s != before || p.sum[fn] == nil {
				p.sum[fn] = s
				if *s != before {
					changed = true
				}
			}
		}
	}
}

// isPollLoop reports whether loop polls records in its header or body (not in nested
// function literals).
func (p *pkg) isPollLoop(loop ast.Node) bool {
	var body *ast.BlockStmt
	switch l := loop.(type) {
	case *ast.ForStmt:
		body = l.Body
	case *ast.RangeStmt:
		if call, ok := ast.Unparen(l.X).(*ast.CallExpr); ok && p.polls(call) {
			return true
		}
		body = l.Body
	}
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		if found {
			return false
		}
		switch n := n.(type) {
		case *ast.FuncLit, *ast.GoStmt:
			return false
		case *ast.CallExpr:
			if p.polls(n) {
				found = true
			}
		}
		return true
	})
	return found
}

func (p *pkg) polls(call *ast.CallExpr) bool {
	callee := kafkalib.Callee(p.pass.TypesInfo, call)
	key := kafkalib.FuncKey(callee)
	if pollCalls[key] || messageChans[key] {
		return true
	}
	f := p.fact(callee)
	return f != nil && f.Polls
}

// scan walks n; loop is the innermost enclosing poll loop.
func (p *pkg) scan(n ast.Node, loop ast.Node) {
	ast.Inspect(n, func(m ast.Node) bool {
		switch m := m.(type) {
		case *ast.ForStmt, *ast.RangeStmt:
			if loop == nil && m != n && p.isPollLoop(m) {
				p.scan(m, m)
				return false
			}
		case *ast.CommClause:
			if loop != nil && p.timerCase(m) {
				return false // runs per tick, not per poll or record
			}
		case *ast.GoStmt:
			if loop != nil {
				p.report(m, loop, "goroutine started inside the poll loop (line %d): one per poll or record, unbounded under load; hand records to a fixed worker pool instead")
				return false
			}
		case *ast.CallExpr:
			if loop == nil {
				return true
			}
			callee := kafkalib.Callee(p.pass.TypesInfo, m)
			key := kafkalib.FuncKey(callee)
			if rt := roundTrip(key); rt != "" {
				p.report(m, loop, "broker round trip "+rt+" inside the poll loop (line %d): one request per poll or record on the consume path; move it to a background task")
				return true
			}
			if callee == nil || pollCalls[key] {
				return true
			}
			if f := p.fact(callee); f != nil && !f.Polls {
				name := callee.Name()
				if callee.Pkg() != nil {
					name = callee.Pkg().Name() + "." + name
				}
				switch {
				case f.RoundTrip != "":
					p.report(m, loop, "call to "+name+" inside the poll loop (line %d) performs a broker round trip ("+f.RoundTrip+") per poll or record; move it to a background task")
				case f.Spawns:
					p.report(m, loop, "call to "+name+" inside the poll loop (line %d) starts a goroutine per poll or record; use a bounded worker pool")
				}
			}
		}
		return true
	})
}

func (p *pkg) report(n ast.Node, loop ast.Node, format string) {
	if p.seen[n] {
		return
	}
	p.seen[n] = true
	line := p.pass.Fset.Position(loop.Pos()).Line
	p.rep.Report(analysis.Diagnostic{Pos: n.Pos(), End: n.End(), Category: "confidence:high", Message: fmt.Sprintf(format, line)})
}

// timerCase reports whether a select case receives from a timer or ticker channel
// (chan time.Time): its body runs on a clock, not per record.
func (p *pkg) timerCase(cc *ast.CommClause) bool {
	var x ast.Expr
	switch c := cc.Comm.(type) {
	case *ast.ExprStmt:
		x = c.X
	case *ast.AssignStmt:
		if len(c.Rhs) == 1 {
			x = c.Rhs[0]
		}
	}
	u, ok := ast.Unparen(x).(*ast.UnaryExpr)
	if !ok || u.Op != token.ARROW {
		return false
	}
	t := p.pass.TypesInfo.TypeOf(u.X)
	if t == nil {
		return false
	}
	ch, ok := t.Underlying().(*types.Chan)
	if !ok {
		return false
	}
	n, ok := types.Unalias(ch.Elem()).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "time" && n.Obj().Name() == "Time"
}
