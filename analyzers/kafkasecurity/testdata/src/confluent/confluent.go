package confluent // want package:"bodies"

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
