package sarama

import (
	ibm "github.com/IBM/sarama"
	shopify "github.com/Shopify/sarama"

	"secprov"
)

var addrs = []string{"b"}

func direct() {
	ibm.NewSyncProducer(addrs, ibm.NewConfig()) // want `sarama client \(sarama.NewSyncProducer\) without the security config`
}

func nilConfig() {
	ibm.NewClient(addrs, nil) // want `without the security config`
}

func enabled() {
	c := ibm.NewConfig()
	c.Net.TLS.Enable = true
	ibm.NewClient(addrs, c)
}

func disabled() {
	c := ibm.NewConfig()
	c.Net.TLS.Enable = false
	ibm.NewClient(addrs, c) // want `without the security config`
}

func mutator() {
	c := ibm.NewConfig()
	secprov.ApplySarama(c)
	ibm.NewConsumerGroup(addrs, "g", c)
}

func mutatorNeg() {
	c := ibm.NewConfig()
	secprov.SetClientID(c)
	ibm.NewConsumerGroup(addrs, "g", c) // want `without the security config`
}

func viaWrapper() {
	secprov.NewSaramaProducer(ibm.NewConfig()) // want `built through secprov.NewSaramaProducer without`
}

func viaWrapperSecure() {
	secprov.NewSaramaProducer(secprov.SaramaConfig())
}

func provider() {
	ibm.NewClusterAdmin(addrs, secprov.SaramaConfig())
}

type svc struct{ cfg *ibm.Config } // want cfg:"secured"

func newSvc() *svc { // want newSvc:"provider"
	s := &svc{cfg: ibm.NewConfig()}
	s.cfg.Net.SASL.Enable = true
	return s
}

func (s *svc) consumer() { ibm.NewConsumer(addrs, s.cfg) }

type svcNeg struct{ cfg *ibm.Config }

func newSvcNeg() *svcNeg { return &svcNeg{cfg: ibm.NewConfig()} }

func (s *svcNeg) consumer() {
	ibm.NewConsumer(addrs, s.cfg) // want `without the security config`
}

func localMutator(c *ibm.Config) { // want localMutator:"mutator"
	c.Net.SASL.Enable = true
}

func useLocalMutator() {
	c := ibm.NewConfig()
	localMutator(c)
	ibm.NewAsyncProducer(addrs, c)
}

func shopifyDirect() {
	shopify.NewSyncProducer(addrs, shopify.NewConfig()) // want `without the security config`
}

func shopifySecure() {
	c := shopify.NewConfig()
	c.Net.SASL.Enable = true
	shopify.NewSyncProducer(addrs, c)
}

// Producer is what the factories return.
type Producer interface{}

func factory() Producer {
	p, _ := ibm.NewSyncProducer(addrs, ibm.NewConfig()) // want `without the security config`
	return p
}

func factorySecure() Producer {
	p, _ := ibm.NewSyncProducer(addrs, secprov.SaramaConfig())
	return p
}

func conditional(tlsOn bool) {
	c := ibm.NewConfig()
	if tlsOn {
		c.Net.TLS.Enable = true
	}
	ibm.NewClient(addrs, c)
}

func conditionalNeg(debug bool) {
	c := ibm.NewConfig()
	if debug {
		c.ClientID = "debug"
	}
	ibm.NewClient(addrs, c) // want `without the security config`
}

// newProvider calls a config function it is given: a wrapper through a function value.
func newProvider(cfgFn func() *ibm.Config) func() { // want newProvider:"wrapper:sarama"
	return func() { ibm.NewAsyncProducer(addrs, cfgFn()) }
}

func useProvider() {
	newProvider(func() *ibm.Config { return ibm.NewConfig() }) // want `built through sarama.newProvider without`
}

func useProviderNamed() {
	newProvider(secprov.SaramaConfig)
}

func useProviderLit() {
	newProvider(func() *ibm.Config {
		c := ibm.NewConfig()
		c.Net.TLS.Enable = true
		return c
	})
}
