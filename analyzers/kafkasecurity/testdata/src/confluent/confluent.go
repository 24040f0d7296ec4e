package confluent

import (
	"os"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"secprov"
)

func consumer() {
	kafka.NewConsumer(&kafka.ConfigMap{"bootstrap.servers": "b"}) // want `confluent-kafka-go client \(kafka.NewConsumer\) without the security config`
}

func consumerSecure() {
	kafka.NewConsumer(&kafka.ConfigMap{"bootstrap.servers": "b", "security.protocol": "SASL_SSL"})
}

func explicitPlaintext() {
	kafka.NewConsumer(&kafka.ConfigMap{"security.protocol": "plaintext"}) // want `without the security config`
}

func setKey() {
	cm := kafka.ConfigMap{"bootstrap.servers": "b"}
	cm.SetKey("security.protocol", os.Getenv("KAFKA_SECURITY_PROTOCOL"))
	kafka.NewProducer(&cm)
}

func setKeyNeg() {
	cm := kafka.ConfigMap{"bootstrap.servers": "b"}
	cm.SetKey("client.id", "x")
	kafka.NewProducer(&cm) // want `without the security config`
}

func index() {
	cm := kafka.ConfigMap{}
	cm["security.protocol"] = "SSL"
	kafka.NewProducer(&cm)
}

func mutator() {
	cm := &kafka.ConfigMap{}
	secprov.ApplyConfluent(cm)
	kafka.NewAdminClient(cm)
}

func admin() {
	kafka.NewAdminClient(&kafka.ConfigMap{}) // want `without the security config`
}

func provider() {
	kafka.NewConsumer(secprov.ConfluentConfig())
}

func viaWrapper() {
	secprov.NewConfluentProducer(&kafka.ConfigMap{"bootstrap.servers": "b"}) // want `built through secprov.NewConfluentProducer without`
}

func viaWrapperSecure() {
	secprov.NewConfluentProducer(secprov.ConfluentConfig())
}

func conditional(ssl bool) {
	cm := kafka.ConfigMap{"bootstrap.servers": "b"}
	if ssl {
		cm["security.protocol"] = "SSL"
	}
	kafka.NewConsumer(&cm)
}

type svc struct{ cm *kafka.ConfigMap } // want cm:"secured"

func newSvc() *svc { return &svc{cm: secprov.ConfluentConfig()} } // want newSvc:"provider"

func (s *svc) consumer() { kafka.NewConsumer(s.cm) }

type svcNeg struct{ cm *kafka.ConfigMap }

func newSvcNeg() *svcNeg { return &svcNeg{cm: &kafka.ConfigMap{}} }

func (s *svcNeg) consumer() {
	kafka.NewConsumer(s.cm) // want `without the security config`
}

// Consumer is what the factories return.
type Consumer interface{}

func factory() Consumer {
	c, _ := kafka.NewConsumer(&kafka.ConfigMap{"group.id": "g"}) // want `without the security config`
	return c
}
