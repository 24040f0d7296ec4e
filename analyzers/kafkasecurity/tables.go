package kafkasecurity

import (
	"go/types"

	"github.com/streamaudit/streamaudit/analyzers/internal/kafkalib"
)

// ctor describes one library constructor: which arguments carry the security-relevant
// options or config (recvArg: the receiver; allFrom: this and every later argument).
type ctor struct {
	args    []int
	allFrom int // -1 unless variadic options start here
	recv    bool
	role    string
	never   bool // always the library's insecure default (e.g. kafka-go's package Dial)
}

var ctors = map[string]ctor{
	"kgo.NewClient":                {allFrom: 0, role: ""},
	"kadm.NewOptClient":            {allFrom: 0, role: "admin"},
	"sarama.NewClient":             {args: []int{1}, allFrom: -1, role: "client"},
	"sarama.NewConsumerGroup":      {args: []int{2}, allFrom: -1, role: "consumer"},
	"sarama.NewSyncProducer":       {args: []int{1}, allFrom: -1, role: "producer"},
	"sarama.NewAsyncProducer":      {args: []int{1}, allFrom: -1, role: "producer"},
	"sarama.NewClusterAdmin":       {args: []int{1}, allFrom: -1, role: "admin"},
	"sarama.NewConsumer":           {args: []int{1}, allFrom: -1, role: "consumer"},
	"kafkago.NewReader":            {args: []int{0}, allFrom: -1, role: "consumer"},
	"kafkago.NewWriter":            {args: []int{0}, allFrom: -1, role: "producer"},
	"kafkago.Dial":                 {allFrom: -1, never: true, role: "client"},
	"kafkago.DialContext":          {allFrom: -1, never: true, role: "client"},
	"kafkago.DialLeader":           {allFrom: -1, never: true, role: "client"},
	"kafkago.DialPartition":        {allFrom: -1, never: true, role: "client"},
	"kafkago.Dialer.Dial":          {allFrom: -1, recv: true, role: "client"},
	"kafkago.Dialer.DialContext":   {allFrom: -1, recv: true, role: "client"},
	"kafkago.Dialer.DialLeader":    {allFrom: -1, recv: true, role: "client"},
	"kafkago.Dialer.DialPartition": {allFrom: -1, recv: true, role: "client"},
	"confluent.NewConsumer":        {args: []int{0}, allFrom: -1, role: "consumer"},
	"confluent.NewProducer":        {args: []int{0}, allFrom: -1, role: "producer"},
	"confluent.NewAdminClient":     {args: []int{0}, allFrom: -1, role: "admin"},
}

// literalCtors are library struct types whose composite literal is itself a client.
var literalCtors = map[string]string{
	"kafkago.Writer": "producer",
	"kafkago.Client": "client",
}

// securityOptions are library calls whose result carries security.
var securityOptions = map[string]bool{
	"kgo.SASL":          true,
	"kgo.DialTLSConfig": true,
	"kgo.DialTLS":       true,
}

// unknownOptions may or may not carry security (a custom dialer can do TLS).
var unknownOptions = map[string]string{
	"kgo.Dialer": "kgo.Dialer may or may not dial TLS",
}

// roleOptions map franz-go options to the role they give a client.
var roleOptions = map[string]uint8{
	"kgo.ConsumeTopics":            roleConsumer,
	"kgo.ConsumerGroup":            roleConsumer,
	"kgo.ConsumeRegex":             roleConsumer,
	"kgo.ConsumePartitions":        roleConsumer,
	"kgo.DefaultProduceTopic":      roleProducer,
	"kgo.ProducerLinger":           roleProducer,
	"kgo.RequiredAcks":             roleProducer,
	"kgo.TransactionalID":          roleProducer,
	"kgo.RecordPartitioner":        roleProducer,
	"kgo.ProducerBatchCompression": roleProducer,
	"kgo.ProducerBatchMaxBytes":    roleProducer,
	"kgo.MaxBufferedRecords":       roleProducer,
}

const (
	roleConsumer uint8 = 1 << iota
	roleProducer
)

// securityFields are fields that switch security on when set to a non-nil, non-false
// value: key is the struct's type key plus the field name.
var securityFields = map[string]bool{
	"kafkago.Dialer.TLS":           true,
	"kafkago.Dialer.SASLMechanism": true,
	"kafkago.Transport.TLS":        true,
	"kafkago.Transport.SASL":       true,
}

// carryingFields hold a value whose security becomes the struct's.
var carryingFields = map[string]bool{
	"kafkago.ReaderConfig.Dialer": true,
	"kafkago.WriterConfig.Dialer": true,
	"kafkago.Writer.Transport":    true,
	"kafkago.Client.Transport":    true,
}

// relevantTypes are the library types that carry client security.
var relevantTypes = map[string]bool{
	"kgo.Opt": true, "kgo.ProducerOpt": true, "kgo.ConsumerOpt": true, "kgo.GroupOpt": true,
	"sarama.Config":        true,
	"kafkago.Dialer":       true,
	"kafkago.Transport":    true,
	"kafkago.RoundTripper": true,
	"kafkago.ReaderConfig": true,
	"kafkago.WriterConfig": true,
	"kafkago.Writer":       true,
	"kafkago.Client":       true,
	"confluent.ConfigMap":  true,
}

// relevant reports whether values of t can carry Kafka client security: library option
// and config types, and containers or user structs holding them.
func relevant(t types.Type) bool { return relevantDepth(t, 0, map[types.Type]bool{}) }

func relevantDepth(t types.Type, depth int, seen map[types.Type]bool) bool {
	if t == nil || depth > 4 || seen[t] {
		return false
	}
	seen[t] = true
	t = types.Unalias(t)
	if k := kafkalib.TypeKey(t); k != "" {
		if relevantTypes[k] {
			return true
		}
	}
	switch u := t.(type) {
	case *types.Pointer:
		return relevantDepth(u.Elem(), depth, seen)
	case *types.Slice:
		return relevantDepth(u.Elem(), depth, seen)
	case *types.Array:
		return relevantDepth(u.Elem(), depth, seen)
	case *types.Map:
		return relevantDepth(u.Elem(), depth, seen)
	case *types.Tuple:
		for i := 0; i < u.Len(); i++ {
			if relevantDepth(u.At(i).Type(), depth, seen) {
				return true
			}
		}
		return false
	case *types.Named:
		if u.Obj().Pkg() != nil && kafkalib.IsKafka(kafkalib.Short(u.Obj().Pkg().Path())) {
			return false // other library types (clients, records) are not security carriers
		}
		return relevantDepth(u.Underlying(), depth+1, seen)
	case *types.Struct:
		for i := 0; i < u.NumFields(); i++ {
			if relevantDepth(u.Field(i).Type(), depth+1, seen) {
				return true
			}
		}
	}
	return false
}
