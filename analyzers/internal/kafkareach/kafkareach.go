// Package kafkareach defines a helper Analyzer that tells the rule analyzers whether a
// package can reach a Kafka client library (or a command-line flag library) through its
// imports, so that they can skip the rest of the dependency graph cheaply.
//
// Under go vet (and every other fact-propagating driver) each fact-producing analyzer
// runs on every dependency of the vetted packages, the standard library included. A
// package that does not import a Kafka client library, directly or through any chain of
// imports, cannot name a Kafka client type or function, so it can neither build, poll,
// commit nor configure a Kafka client: the analyzers have nothing to find or summarise
// there beyond a few library-independent facts, which they compute with a cheap syntax
// walk instead of their full analysis (see each analyzer's run).
//
// Reachability is computed bottom-up with a package fact: a package reaches a library
// when it is one, imports one, or imports a package that carries the fact. A package
// without syntax or type information (loaded from export data) is assumed to reach
// both, which keeps the full analysis wherever the answer is not known.
package kafkareach

import (
	"reflect"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/streamaudit/streamaudit/analyzers/internal/kafkalib"
)

// Result is what a package can reach through its imports (itself included).
type Result struct {
	// Kafka: a Kafka client library the analyzers model (franz-go, sarama, kafka-go,
	// confluent-kafka-go; kafkalib.IsKafka).
	Kafka bool
	// Flags: a flag library kafka-cli-env reads (the standard library's flag,
	// spf13/pflag, which spf13/cobra builds on).
	Flags bool
}

// Analyzer computes the package's Result. It needs no syntax walk: only the package's
// direct imports and their facts.
var Analyzer = &analysis.Analyzer{
	Name:             "kafkareach",
	Doc:              "compute whether a package can reach a Kafka client or flag library through its imports (helper of the streamaudit analyzers; reports nothing)",
	URL:              "https://github.com/streamaudit/streamaudit/blob/main/docs/KAFKAVET.md",
	Run:              run,
	RunDespiteErrors: true,
	ResultType:       reflect.TypeOf((*Result)(nil)),
	FactTypes:        []analysis.Fact{new(fact)},
}

// fact marks a package that reaches a Kafka client library (Kafka) and/or a flag
// library (Flags). Packages that reach neither carry no fact.
type fact struct{ Kafka, Flags bool }

func (*fact) AFact() {}
func (f *fact) String() string {
	var p []string
	if f.Kafka {
		p = append(p, "kafka")
	}
	if f.Flags {
		p = append(p, "flags")
	}
	return "kafkareach(" + strings.Join(p, ",") + ")"
}

func run(pass *analysis.Pass) (any, error) {
	r := &Result{}
	if pass.Pkg.Path() == "unsafe" {
		return r, nil // built into the compiler: no files, no imports (drivers differ on running it)
	}
	if len(pass.Files) == 0 || pass.TypesInfo == nil {
		// Types from export data list only the packages their API mentions as imports:
		// not enough to rule anything out.
		r.Kafka, r.Flags = true, true
	} else {
		r.add(pass.Pkg.Path())
		for _, imp := range pass.Pkg.Imports() {
			if r.Kafka && r.Flags {
				break
			}
			r.add(imp.Path())
			var f fact
			if pass.ImportPackageFact(imp, &f) {
				r.Kafka = r.Kafka || f.Kafka
				r.Flags = r.Flags || f.Flags
			}
		}
	}
	if r.Kafka || r.Flags {
		pass.ExportPackageFact(&fact{Kafka: r.Kafka, Flags: r.Flags})
	}
	return r, nil
}

// add records the library an import path itself is.
func (r *Result) add(path string) {
	switch p := kafkalib.Short(path); {
	case kafkalib.IsKafka(p):
		r.Kafka = true
	case p == "flag" || p == "pflag":
		r.Flags = true
	}
}

// Of returns the Result of pass, which must list Analyzer in its analyzer's Requires.
func Of(pass *analysis.Pass) *Result {
	r, _ := pass.ResultOf[Analyzer].(*Result)
	if r == nil {
		return &Result{Kafka: true, Flags: true}
	}
	return r
}
