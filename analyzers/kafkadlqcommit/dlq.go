package kafkadlqcommit

import (
	"flag"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"regexp"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/buildssa"
	"golang.org/x/tools/go/analysis/passes/ctrlflow"
	"golang.org/x/tools/go/ssa"

	"github.com/streamaudit/streamaudit/analyzers/internal/directive"
	"github.com/streamaudit/streamaudit/analyzers/internal/kafkalib"
	"github.com/streamaudit/streamaudit/analyzers/internal/kafkareach"
)

// Rule is the streamaudit rule ID this analyzer reports.
const Rule = "kafka-dlq-commit"

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
		Name: "kafkadlqcommit",
		Doc:  "report offset commits that run although the dead-letter send failed (rule kafka-dlq-commit)",
		URL:  "https://github.com/streamaudit/streamaudit/blob/main/docs/CHECKS.md#kafka-dlq-commit",
		// Not buildssa itself: as a prerequisite it would build SSA for every package of
		// the dependency graph (the standard library included) under go vet. run builds it
		// only for packages that reach a Kafka library; ctrlflow supplies the no-return
		// facts buildssa uses to end blocks after calls such as log.Fatal.
		Requires:  []*analysis.Analyzer{kafkareach.Analyzer, ctrlflow.Analyzer},
		FactTypes: []analysis.Fact{new(funcFact)},
		Run:       r.run,
	}
	a.Flags.Init("kafkadlqcommit", flag.ContinueOnError)
	a.Flags.BoolVar(&r.honor, "ignore-directives", o.HonorIgnore, "honour //streamaudit:ignore kafka-dlq-commit comments")
	return a
}

type runner struct{ honor bool }

// funcFact summarises a function for its callers.
type funcFact struct {
	Commits  bool   // it commits offsets (directly or through calls)
	DLQSend  bool   // it returns a dead-letter send's error
	Swallows string // position of a dead-letter send whose failure it drops ("" if none)
}

func (*funcFact) AFact() {}
func (f *funcFact) String() string {
	var p []string
	if f.Commits {
		p = append(p, "commits")
	}
	if f.DLQSend {
		p = append(p, "dlqsend")
	}
	if f.Swallows != "" {
		p = append(p, "swallows")
	}
	return "dlqcommit(" + strings.Join(p, ",") + ")"
}

var produces = map[string]bool{
	"kgo.Client.ProduceSync":           true,
	"sarama.SyncProducer.SendMessage":  true,
	"sarama.SyncProducer.SendMessages": true,
	"kafkago.Writer.WriteMessages":     true,
	"confluent.Producer.Produce":       true,
}

var commits = map[string]bool{
	"kgo.Client.CommitRecords":                 true,
	"kgo.Client.CommitUncommittedOffsets":      true,
	"kgo.Client.CommitOffsets":                 true,
	"kgo.Client.CommitOffsetsSync":             true,
	"kgo.Client.CommitMarkedOffsets":           true,
	"kgo.Client.MarkCommitRecords":             true,
	"kgo.Client.MarkCommitOffsets":             true,
	"sarama.ConsumerGroupSession.MarkMessage":  true,
	"sarama.ConsumerGroupSession.MarkOffset":   true,
	"sarama.ConsumerGroupSession.Commit":       true,
	"sarama.PartitionOffsetManager.MarkOffset": true,
	"kafkago.Reader.CommitMessages":            true,
	"confluent.Consumer.Commit":                true,
	"confluent.Consumer.CommitMessage":         true,
	"confluent.Consumer.CommitOffsets":         true,
	"confluent.Consumer.StoreMessage":          true,
	"confluent.Consumer.StoreOffsets":          true,
}

var dlqName = regexp.MustCompile(`(?i)dlq|dead.?letter`)

type pkg struct {
	pass   *analysis.Pass
	calls  map[token.Pos]*ast.CallExpr // by Lparen
	sum    map[*ssa.Function]*funcFact
	rep    *directive.Reporter
	done   map[token.Pos]bool
	report bool
}

func (r *runner) run(pass *analysis.Pass) (any, error) {
	if kafkalib.IsKafka(kafkalib.Short(pass.Pkg.Path())) || !kafkareach.Of(pass).Kafka {
		// Without a Kafka library there is no send or commit to find, and no fact to export.
		return nil, nil
	}
	if !mentionsSendOrCommit(pass) {
		// Every summary and finding starts at a produce, a commit or a function carrying
		// one of their facts: without any of them, the SSA walk would find nothing.
		return nil, nil
	}
	// buildssa's Run reads only the pass's syntax, types and ctrlflow's result (a
	// prerequisite of this analyzer), so it can build this package's SSA on demand.
	res, err := buildssa.Analyzer.Run(pass)
	if err != nil {
		return nil, err
	}
	s, ok := res.(*buildssa.SSA)
	if !ok || s == nil {
		return nil, nil
	}
	p := &pkg{pass: pass, calls: map[token.Pos]*ast.CallExpr{}, sum: map[*ssa.Function]*funcFact{},
		rep: &directive.Reporter{Pass: pass, Rule: Rule, Honor: r.honor}, done: map[token.Pos]bool{}}
	for _, f := range pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			if c, ok := n.(*ast.CallExpr); ok {
				p.calls[c.Lparen] = c
			}
			return true
		})
	}
	for _, fn := range s.SrcFuncs {
		p.sum[fn] = &funcFact{}
	}
	// Summaries to a fixpoint, then one reporting pass.
	for iter := 0; iter < 8; iter++ {
		changed := false
		for _, fn := range s.SrcFuncs {
			before := *p.sum[fn]
			p.analyse(fn)
			if *p.sum[fn] != before {
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	p.report = true
	for _, fn := range s.SrcFuncs {
		p.analyse(fn)
	}
	for _, fn := range s.SrcFuncs {
		if obj, ok := fn.Object().(*types.Func); ok && fn.Parent() == nil {
			if f := p.sum[fn]; f.Commits || f.DLQSend || f.Swallows != "" {
				pass.ExportObjectFact(obj, f)
			}
		}
	}
	return nil, nil
}

// mentionsSendOrCommit reports whether the package refers to (calls, or takes the value
// of) a produce or commit function of the tables, or an imported function with a fact.
func mentionsSendOrCommit(pass *analysis.Pass) bool {
	for _, obj := range pass.TypesInfo.Uses {
		fn, ok := obj.(*types.Func)
		if !ok || fn.Pkg() == nil || fn.Pkg() == pass.Pkg {
			continue
		}
		if key := kafkalib.FuncKey(fn); produces[key] || commits[key] {
			return true
		}
		if kafkalib.IsKafka(kafkalib.Short(fn.Pkg().Path())) {
			continue
		}
		var f funcFact
		if pass.ImportObjectFact(fn.Origin(), &f) {
			return true
		}
	}
	return false
}

func (p *pkg) fact(fn *ssa.Function) *funcFact {
	if fn == nil {
		return nil
	}
	if f, ok := p.sum[fn]; ok {
		return f
	}
	if fn.Origin() != nil {
		if f, ok := p.sum[fn.Origin()]; ok {
			return f
		}
	}
	if obj, ok := fn.Object().(*types.Func); ok && obj.Pkg() != nil && obj.Pkg() != p.pass.Pkg {
		if kafkalib.IsKafka(kafkalib.Short(obj.Pkg().Path())) {
			return nil
		}
		var f funcFact
		if p.pass.ImportObjectFact(obj, &f) {
			return &f
		}
	}
	return nil
}

func calleeKey(c *ssa.CallCommon) string {
	if c.IsInvoke() {
		return kafkalib.FuncKey(c.Method)
	}
	if fn := c.StaticCallee(); fn != nil {
		if obj, ok := fn.Object().(*types.Func); ok {
			return kafkalib.FuncKey(obj)
		}
	}
	return ""
}

// isCommit reports whether an instruction commits offsets.
func (p *pkg) isCommit(in ssa.Instruction) bool {
	call, ok := in.(ssa.CallInstruction)
	if !ok {
		return false
	}
	if _, isGo := in.(*ssa.Go); isGo {
		return false
	}
	c := call.Common()
	if commits[calleeKey(c)] {
		return true
	}
	f := p.fact(c.StaticCallee())
	return f != nil && f.Commits
}

// isSend reports whether a call is a dead-letter send.
func (p *pkg) isSend(call *ssa.Call, fn *ssa.Function) bool {
	c := call.Common()
	if f := p.fact(c.StaticCallee()); f != nil && f.DLQSend {
		return true
	}
	if !produces[calleeKey(c)] {
		return false
	}
	if dlqName.MatchString(rootName(fn)) {
		return true
	}
	ce := p.calls[call.Pos()]
	if ce == nil {
		return false
	}
	found := false
	ast.Inspect(ce, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Ident:
			found = found || dlqName.MatchString(n.Name)
		case *ast.BasicLit:
			found = found || dlqName.MatchString(n.Value)
		case *ast.FuncLit:
			return false
		}
		return !found
	})
	return found
}

func rootName(fn *ssa.Function) string {
	for fn.Parent() != nil {
		fn = fn.Parent()
	}
	return fn.Name()
}

// derived returns the values computed from v (its error and whatever wraps it).
func derived(v ssa.Value) map[ssa.Value]bool {
	set := map[ssa.Value]bool{v: true}
	work := []ssa.Value{v}
	add := func(x ssa.Value) {
		if x != nil && !set[x] {
			set[x] = true
			work = append(work, x)
		}
	}
	for len(work) > 0 {
		x := work[len(work)-1]
		work = work[:len(work)-1]
		refs := x.Referrers()
		if refs == nil {
			continue
		}
		for _, r := range *refs {
			switch r := r.(type) {
			case *ssa.Extract, *ssa.BinOp, *ssa.UnOp, *ssa.ChangeType, *ssa.MakeInterface,
				*ssa.TypeAssert, *ssa.ChangeInterface, *ssa.Phi, *ssa.Convert, *ssa.Call:
				add(r.(ssa.Value))
			case *ssa.Store:
				if r.Val == x {
					add(r.Addr)
				}
			}
		}
	}
	return set
}

// errSuccs returns the successors of b the error path may take.
func errSuccs(b *ssa.BasicBlock, e map[ssa.Value]bool) []*ssa.BasicBlock {
	if len(b.Instrs) == 0 {
		return b.Succs
	}
	ifi, ok := b.Instrs[len(b.Instrs)-1].(*ssa.If)
	if !ok {
		return b.Succs
	}
	bin, ok := ifi.Cond.(*ssa.BinOp)
	if !ok || (bin.Op != token.NEQ && bin.Op != token.EQL) {
		return b.Succs
	}
	isNil := func(v ssa.Value) bool {
		c, ok := v.(*ssa.Const)
		return ok && c.IsNil()
	}
	if (e[bin.X] && isNil(bin.Y)) || (e[bin.Y] && isNil(bin.X)) {
		if bin.Op == token.NEQ {
			return b.Succs[:1]
		}
		return b.Succs[1:]
	}
	return b.Succs
}

// walk follows the control flow after instruction index i of block b. It returns the
// first reachable commit and whether some return on the path drops the error.
func (p *pkg) walk(b *ssa.BasicBlock, i int, e map[ssa.Value]bool, errPath bool) (commit ssa.Instruction, swallowed, propagated bool) {
	type item struct {
		b *ssa.BasicBlock
		i int
	}
	seen := map[*ssa.BasicBlock]bool{}
	work := []item{{b, i}}
	for len(work) > 0 {
		it := work[len(work)-1]
		work = work[:len(work)-1]
		for _, in := range it.b.Instrs[it.i:] {
			if p.isCommit(in) {
				if commit == nil {
					commit = in
				}
				break
			}
			if ret, ok := in.(*ssa.Return); ok {
				prop := false
				for _, r := range ret.Results {
					if e[r] {
						prop = true
					}
				}
				if prop {
					propagated = true
				} else {
					swallowed = true
				}
			}
		}
		succs := it.b.Succs
		if errPath {
			succs = errSuccs(it.b, e)
		}
		for _, s := range succs {
			if !seen[s] {
				seen[s] = true
				work = append(work, item{s, 0})
			}
		}
	}
	return commit, swallowed, propagated
}

func (p *pkg) analyse(fn *ssa.Function) {
	sum := p.sum[fn]
	for _, b := range fn.Blocks {
		for i, in := range b.Instrs {
			if !sum.Commits && p.isCommit(in) {
				sum.Commits = true
			}
			call, ok := in.(*ssa.Call)
			if !ok {
				continue
			}
			if p.isSend(call, fn) {
				e := derived(call)
				commit, swallowed, propagated := p.walk(b, i+1, e, true)
				if propagated && fn.Signature.Results().Len() > 0 {
					sum.DLQSend = true
				}
				if swallowed && sum.Swallows == "" {
					sum.Swallows = p.pass.Fset.Position(call.Pos()).String()
				}
				if commit != nil && p.report {
					p.emit(call.Pos(), fmt.Sprintf("the offset commit at line %d runs even when this dead-letter send fails: the failed record's offset is committed (M-429); return the error or hold the commit until the send succeeds", p.line(commit.Pos())))
				}
				continue
			}
			if via := p.swallowed(call); via != "" {
				if commit, _, _ := p.walk(b, i+1, nil, false); commit != nil {
					if p.report {
						p.emit(call.Pos(), fmt.Sprintf("%s drops the failure of its dead-letter send, and the offset commit at line %d runs anyway (M-429)", via, p.line(commit.Pos())))
					}
				}
			}
		}
	}
}

func (p *pkg) line(pos token.Pos) int { return p.pass.Fset.Position(pos).Line }

// swallowed names the function or callback a call runs that drops a dead-letter send's
// failure, or "".
func (p *pkg) swallowed(call *ssa.Call) string {
	c := call.Common()
	if f := p.fact(c.StaticCallee()); f != nil && f.Swallows != "" {
		return "the call of " + c.StaticCallee().Name()
	}
	for _, a := range c.Args {
		var fn *ssa.Function
		switch a := a.(type) {
		case *ssa.MakeClosure:
			fn, _ = a.Fn.(*ssa.Function)
		case *ssa.Function:
			fn = a
		}
		if f := p.fact(fn); f != nil && f.Swallows != "" {
			return "the callback at line " + fmt.Sprint(p.line(fn.Pos()))
		}
	}
	return ""
}

func (p *pkg) emit(pos token.Pos, msg string) {
	if p.done[pos] {
		return
	}
	p.done[pos] = true
	d := analysis.Diagnostic{Pos: pos, Category: "confidence:high", Message: msg}
	if ce := p.calls[pos]; ce != nil {
		d.Pos, d.End = ce.Pos(), ce.End()
	}
	p.rep.Report(d)
}
