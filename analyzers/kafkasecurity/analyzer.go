package kafkasecurity

import (
	"flag"
	"go/ast"
	"go/token"
	"go/types"
	"reflect"
	"sort"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/streamaudit/streamaudit/analyzers/internal/directive"
	"github.com/streamaudit/streamaudit/analyzers/internal/kafkalib"
	"github.com/streamaudit/streamaudit/analyzers/internal/kafkareach"
)

// Rule is the streamaudit rule ID this analyzer reports.
const Rule = "kafka-security"

// Options configure the analyzer.
type Options struct {
	// Providers are additional security providers: types.Func full names such as
	// "example.com/kcfg.SecurityOpts" or "(*example.com/kcfg.Config).Apply".
	Providers []string
	// HonorIgnore drops findings suppressed by //streamaudit:ignore (kafkavet, nogo,
	// golangci-lint); verify reports all and suppresses centrally.
	HonorIgnore bool
	// Tests also checks clients built in _test.go files (off by default: tests connect to
	// in-process or local plaintext brokers on purpose).
	Tests bool
}

// Analyzer is the analyzer with default options (directives honoured, no extra
// providers); its -providers flag adds providers.
var Analyzer = New(Options{HonorIgnore: true})

// New returns an analyzer configured by o. Each call returns an independent analyzer.
func New(o Options) *analysis.Analyzer {
	cfg := &config{honor: o.HonorIgnore, tests: o.Tests}
	for _, p := range o.Providers {
		cfg.providers.Set(p)
	}
	a := &analysis.Analyzer{
		Name:             "kafkasecurity",
		Doc:              "report Kafka clients built without the security config (rule kafka-security)\n\nSecurity is traced by provenance through options, configs, wrappers and mutators; see the package documentation.",
		URL:              "https://github.com/streamaudit/streamaudit/blob/main/docs/CHECKS.md#kafka-security",
		FactTypes:        []analysis.Fact{new(funcFact), new(varFact), new(pkgFact)},
		ResultType:       reflect.TypeOf((*Result)(nil)),
		Requires:         []*analysis.Analyzer{kafkareach.Analyzer},
		Run:              cfg.run,
		RunDespiteErrors: true,
	}
	a.Flags.Init("kafkasecurity", flag.ContinueOnError)
	a.Flags.Var(&cfg.providers, "providers", "comma-separated security providers (types.Func full names, e.g. example.com/kcfg.SecurityOpts or (*example.com/kcfg.Config).Apply)")
	a.Flags.BoolVar(&cfg.honor, "ignore-directives", o.HonorIgnore, "honour //streamaudit:ignore kafka-security comments")
	a.Flags.BoolVar(&cfg.tests, "tests", o.Tests, "also check clients built in _test.go files")
	return a
}

type config struct {
	providers nameList
	honor     bool
	tests     bool
}

// nameList is a comma-separated flag value.
type nameList map[string]bool

func (l *nameList) String() string {
	if l == nil {
		return ""
	}
	var s []string
	for k := range *l {
		s = append(s, k)
	}
	sort.Strings(s)
	return strings.Join(s, ",")
}

func (l *nameList) Set(v string) error {
	if *l == nil {
		*l = nameList{}
	}
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			(*l)[p] = true
		}
	}
	return nil
}

// Result lists the Kafka client constructions of the package (verify's inventory).
type Result struct {
	Clients []Client
}

// Client is one Kafka client construction.
type Client struct {
	Pos, End token.Pos
	Library  string // franz-go, sarama, kafka-go, confluent-kafka-go
	Role     string // consumer, producer, admin, client
	Secured  bool
	// Via names the constructor wrapper the client is built through, if any.
	Via  string
	Func string // enclosing function
}

// funcFact summarises a function for other packages.
type funcFact struct {
	Provider      bool  // its result carries security (or it applies security to its arguments)
	Effect        bool  // declared provider (directive or flag): applies security to its arguments
	ResultParams  []int // its result carries security when these parameters do (-1: receiver)
	ResultUnknown bool  // its result could not be resolved
	Wrapper       bool  // it forwards WrapperParams to a client constructor
	WrapperParams []int
	// WrapperCalls and ResultCalls are function-typed parameters whose call results
	// flow into the constructor or the result.
	WrapperCalls []int
	ResultCalls  []int
	Library      string
	Role         string
	Mutates      []int // it sets security on these parameters
}

func (*funcFact) AFact() {}
func (f *funcFact) String() string {
	var parts []string
	if f.Provider {
		parts = append(parts, "provider")
	}
	if len(f.ResultParams) > 0 {
		parts = append(parts, "result-from-params")
	}
	if f.Wrapper {
		parts = append(parts, "wrapper:"+f.Library)
	}
	if len(f.Mutates) > 0 {
		parts = append(parts, "mutator")
	}
	if f.ResultUnknown {
		parts = append(parts, "unknown")
	}
	return "kafkasecurity(" + strings.Join(parts, ",") + ")"
}

// varFact marks a package-level variable or struct field that holds secured options or
// config.
type varFact struct{}

func (*varFact) AFact()         {}
func (*varFact) String() string { return "kafkasecurity(secured)" }

// pkgFact marks a package whose functions were all loaded without bodies (verify loads
// dependencies that way): values from its functions cannot be resolved.
type pkgFact struct{ NoBodies bool }

func (*pkgFact) AFact()           {}
func (f *pkgFact) String() string { return "kafkasecurity(no-bodies)" }

func (c *config) run(pass *analysis.Pass) (any, error) {
	if !kafkareach.Of(pass).Kafka && !c.declaresProvider(pass) {
		c.exportNoBodies(pass)
		return &Result{}, nil
	}
	p := newPkgState(pass, c)
	p.index()
	p.infer()
	res := p.check()
	p.exportFacts()
	return res, nil
}

// declaresProvider reports whether the package declares a security provider (directive or
// -providers flag). A package that reaches no Kafka library has no client, option or
// config to evaluate, so its only facts can come from such declarations (and NoBodies).
func (c *config) declaresProvider(pass *analysis.Pass) bool {
	for _, f := range pass.Files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			if directive.IsSecurityProvider(fd) {
				return true
			}
			if len(c.providers) > 0 && pass.TypesInfo != nil {
				if fn, ok := pass.TypesInfo.Defs[fd.Name].(*types.Func); ok && c.providers[fn.FullName()] {
					return true
				}
			}
		}
	}
	return false
}

// exportNoBodies exports pkgFact as exportFacts does (functions declared, none with a
// body), for packages that skip the analysis.
func (c *config) exportNoBodies(pass *analysis.Pass) {
	if pass.TypesInfo == nil {
		return
	}
	decls := false
	for _, f := range pass.Files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			if _, ok := pass.TypesInfo.Defs[fd.Name].(*types.Func); !ok {
				continue
			}
			if fd.Body != nil {
				return
			}
			decls = true
		}
	}
	if decls {
		pass.ExportPackageFact(&pkgFact{NoBodies: true})
	}
}

// bitOf maps a parameter index (-1 receiver) to its bit.
func bitOf(idx int) uint64 {
	if idx+1 >= 64 {
		return 0
	}
	return 1 << uint(idx+1)
}

func idxList(bits uint64) []int {
	var out []int
	for i := 0; i < 64; i++ {
		if bits&(1<<uint(i)) != 0 {
			out = append(out, i-1)
		}
	}
	return out
}

func bitsOf(idx []int) uint64 {
	var b uint64
	for _, i := range idx {
		b |= bitOf(i)
	}
	return b
}

func roleName(r uint8, def string) string {
	switch {
	case def != "":
		return def
	case r == roleConsumer:
		return "consumer"
	case r == roleProducer:
		return "producer"
	}
	return "client"
}

func (p *pkgState) report(rep *directive.Reporter, s *site, st state) {
	lib := s.library
	what := lib + " client"
	if s.via != nil {
		what += " built through " + funcName(s.via)
	} else {
		what += " (" + s.ctorName + ")"
	}
	d := analysis.Diagnostic{Pos: s.pos, End: s.end}
	if st.unknown {
		d.Category = "confidence:low"
		d.Message = what + ": cannot prove the security config flows into it (" + st.reason + ")"
	} else {
		d.Category = "confidence:high"
		d.Message = what + " without the security config: no TLS/SASL setting or security provider reaches its " + s.carrier
	}
	if !st.unknown && lib == "franz-go" && s.via == nil && s.call != nil && !s.never {
		if fix, ok := p.suggestFix(s.call); ok {
			d.SuggestedFixes = []analysis.SuggestedFix{fix}
		}
	}
	rep.Report(d)
}

func funcName(fn *types.Func) string {
	if fn.Pkg() == nil {
		return fn.Name()
	}
	sig, _ := fn.Type().(*types.Signature)
	if sig != nil && sig.Recv() != nil {
		if n := kafkalib.NamedOf(sig.Recv().Type()); n != nil {
			return fn.Pkg().Name() + "." + n.Obj().Name() + "." + fn.Name()
		}
	}
	return fn.Pkg().Name() + "." + fn.Name()
}

var _ = ast.Inspect
