// Package kafkalib knows the Kafka client libraries the analyzers understand (franz-go,
// IBM and Shopify sarama, segmentio/kafka-go, confluent-kafka-go): it names functions
// and types by a short library-qualified key ("kgo.NewClient", "kadm.Client.ListEndOffsets",
// "sarama.ConsumerGroupSession.MarkMessage") so the analyzers' tables stay readable.
package kafkalib

import (
	"go/ast"
	"go/types"
	"strings"

	"golang.org/x/tools/go/types/typeutil"
)

// short maps import paths to the short library prefix used in keys.
var short = map[string]string{
	"github.com/twmb/franz-go/pkg/kgo":                    "kgo",
	"github.com/twmb/franz-go/pkg/kadm":                   "kadm",
	"github.com/twmb/franz-go/pkg/kmsg":                   "kmsg",
	"github.com/twmb/franz-go/pkg/sasl/plain":             "kgoplain",
	"github.com/IBM/sarama":                               "sarama",
	"github.com/Shopify/sarama":                           "sarama",
	"github.com/segmentio/kafka-go":                       "kafkago",
	"github.com/segmentio/kafka-go/sasl/plain":            "kafkagoplain",
	"github.com/confluentinc/confluent-kafka-go/kafka":    "confluent",
	"github.com/confluentinc/confluent-kafka-go/v2/kafka": "confluent",
	"github.com/spf13/cobra":                              "cobra",
	"github.com/spf13/pflag":                              "pflag",
	"flag":                                                "flag",
	"os":                                                  "os",
	"slices":                                              "slices",
	"crypto/tls":                                          "tls",
}

// Short returns the short prefix of an import path ("" for paths the analyzers do not
// model). Vendored copies are recognised.
func Short(path string) string {
	if i := strings.LastIndex(path, "/vendor/"); i >= 0 {
		path = path[i+len("/vendor/"):]
	}
	return short[path]
}

// Library returns the user-facing library name of a short prefix.
func Library(prefix string) string {
	switch prefix {
	case "kgo", "kadm", "kmsg", "kgoplain":
		return "franz-go"
	case "sarama":
		return "sarama"
	case "kafkago", "kafkagoplain":
		return "kafka-go"
	case "confluent":
		return "confluent-kafka-go"
	}
	return ""
}

// IsKafka reports whether a short prefix is one of the Kafka client libraries.
func IsKafka(prefix string) bool { return Library(prefix) != "" }

// FuncKey names a function or method: "kgo.NewClient", "kgo.Client.PollFetches",
// "sarama.ConsumerGroupClaim.Messages". It returns "" for functions outside the modelled
// packages and for nil.
func FuncKey(fn *types.Func) string {
	if fn == nil || fn.Pkg() == nil {
		return ""
	}
	p := Short(fn.Pkg().Path())
	if p == "" {
		return ""
	}
	sig, _ := fn.Type().(*types.Signature)
	if sig != nil && sig.Recv() != nil {
		if n := NamedOf(sig.Recv().Type()); n != nil {
			return p + "." + n.Obj().Name() + "." + fn.Name()
		}
		return p + ".?." + fn.Name()
	}
	return p + "." + fn.Name()
}

// TypeKey names a named type ("sarama.Config", "kafkago.Dialer"), looking through
// pointers; "" for other types.
func TypeKey(t types.Type) string {
	n := NamedOf(t)
	if n == nil || n.Obj().Pkg() == nil {
		return ""
	}
	p := Short(n.Obj().Pkg().Path())
	if p == "" {
		return ""
	}
	return p + "." + n.Obj().Name()
}

// NamedOf returns the named (or alias-resolved) type behind t and one pointer, or nil.
func NamedOf(t types.Type) *types.Named {
	if t == nil {
		return nil
	}
	t = types.Unalias(t)
	if p, ok := t.(*types.Pointer); ok {
		t = types.Unalias(p.Elem())
	}
	n, _ := t.(*types.Named)
	return n
}

// Callee returns the statically known function or method a call invokes, including
// interface methods (whose receiver is the interface); nil for calls of function values,
// builtins and conversions.
func Callee(info *types.Info, call *ast.CallExpr) *types.Func {
	obj := typeutil.Callee(info, call)
	fn, _ := obj.(*types.Func)
	return fn
}

// CallKey is FuncKey(Callee(info, call)).
func CallKey(info *types.Info, call *ast.CallExpr) string {
	return FuncKey(Callee(info, call))
}

// ImportsKafka reports whether pkg imports one of the Kafka client libraries directly.
func ImportsKafka(pkg *types.Package) bool {
	for _, imp := range pkg.Imports() {
		if IsKafka(Short(imp.Path())) {
			return true
		}
	}
	return false
}

// Unparen strips parentheses.
func Unparen(e ast.Expr) ast.Expr { return ast.Unparen(e) }

// StringConst returns the constant string value of e, if it has one.
func StringConst(info *types.Info, e ast.Expr) (string, bool) {
	tv, ok := info.Types[e]
	if !ok || tv.Value == nil {
		return "", false
	}
	s := tv.Value.ExactString()
	if len(s) >= 2 && s[0] == '"' {
		if u, err := unquote(s); err == nil {
			return u, true
		}
	}
	return "", false
}

// BoolConst returns the constant boolean value of e, if it has one.
func BoolConst(info *types.Info, e ast.Expr) (val, ok bool) {
	tv, found := info.Types[e]
	if !found || tv.Value == nil {
		return false, false
	}
	switch tv.Value.ExactString() {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// IsNil reports whether e is the predeclared nil.
func IsNil(info *types.Info, e ast.Expr) bool {
	tv, ok := info.Types[ast.Unparen(e)]
	return ok && tv.IsNil()
}
