package franz

import (
	"os"
	"slices"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"secprov"
)

func direct() {
	kgo.NewClient(kgo.SeedBrokers("b")) // want `franz-go client \(kgo.NewClient\) without the security config`
}

func directSecure() {
	kgo.NewClient(kgo.SeedBrokers("b"), kgo.SASL())
}

func fromProvider() {
	kgo.NewClient(secprov.SecurityOpts()...)
}

func fromPlain() {
	kgo.NewClient(secprov.Plain()...) // want `without the security config`
}

func condAppend() {
	opts := []kgo.Opt{kgo.SeedBrokers("b")}
	if os.Getenv("TLS") != "" {
		opts = append(opts, kgo.DialTLSConfig(nil))
	}
	kgo.NewClient(opts...)
}

func condAppendNeg() {
	opts := []kgo.Opt{kgo.SeedBrokers("b")}
	if os.Getenv("DEBUG") != "" {
		opts = append(opts, kgo.ClientID("debug"))
	}
	kgo.NewClient(opts...) // want `without the security config`
}

func viaWrapper() {
	secprov.NewClient(kgo.ConsumeTopics("t")) // want `client built through secprov.NewClient without the security config`
}

func viaWrapperSecure() {
	secprov.NewClient(append(secprov.Inferred(), kgo.ConsumeTopics("t"))...)
}

func viaSecureCtor() {
	secprov.NewSecureClient(kgo.ConsumeTopics("t"))
}

func concat() {
	kgo.NewClient(slices.Concat([]kgo.Opt{kgo.SeedBrokers("b")}, secprov.Inferred())...)
}

func concatNeg() {
	kgo.NewClient(slices.Concat([]kgo.Opt{kgo.SeedBrokers("b")}, secprov.Plain())...) // want `without the security config`
}

func withDefaults() {
	kgo.NewClient(secprov.WithDefaults(kgo.SASL())...)
}

func withDefaultsNeg() {
	kgo.NewClient(secprov.WithDefaults(kgo.ClientID("x"))...) // want `without the security config`
}

func mutator() {
	opts := []kgo.Opt{kgo.SeedBrokers("b")}
	secprov.AddSecurity(&opts)
	kgo.NewClient(opts...)
}

type svc struct{ opts []kgo.Opt } // want opts:"secured"

func newSvc() *svc { return &svc{opts: secprov.SecurityOpts()} } // want newSvc:"provider"

func (s *svc) connect() { kgo.NewClient(s.opts...) }

type svcNeg struct{ opts []kgo.Opt }

func newSvcNeg() *svcNeg { return &svcNeg{opts: []kgo.Opt{kgo.SeedBrokers("b")}} }

func (s *svcNeg) connect() {
	kgo.NewClient(s.opts...) // want `without the security config`
}

// Consumer is what the factories return.
type Consumer interface{ Close() }

func factory() Consumer {
	cl, _ := kgo.NewClient(kgo.ConsumeTopics("t")) // want `without the security config`
	return cl
}

func factorySecure() Consumer {
	cl, _ := kgo.NewClient(append(secprov.SecurityOpts(), kgo.ConsumeTopics("t"))...)
	return cl
}

func methodProvider(c *secprov.Config) {
	opts, _ := c.Opts()
	kgo.NewClient(opts...)
}

var optsFn = func() []kgo.Opt { return nil }

func unknownSource() {
	kgo.NewClient(optsFn()...) // want `cannot prove the security config flows into it \(call of a function value\)`
}

func newLocal(opts ...kgo.Opt) (*kgo.Client, error) { return kgo.NewClient(opts...) } // want newLocal:"wrapper:franz-go"

func useLocal() {
	newLocal(kgo.SeedBrokers("b")) // want `built through franz.newLocal without`
}

func useLocalSecure() {
	newLocal(secprov.SecurityOpts()...)
}

func admin() {
	kadm.NewOptClient(kgo.SeedBrokers("b")) // want `kadm.NewOptClient\) without`
}

func adminSecure() {
	kadm.NewOptClient(secprov.Inferred()...)
}

var global = secprov.SecurityOpts() // want global:"secured"

func fromGlobal() { kgo.NewClient(global...) }

func ignored() {
	kgo.NewClient() //streamaudit:ignore kafka-security test client against a local broker
}
