package kafkago

import (
	"context"

	kafka "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl/plain"

	"secprov"
)

func reader() {
	kafka.NewReader(kafka.ReaderConfig{Brokers: []string{"b"}, Topic: "t"}) // want `kafka-go client \(kafka.NewReader\) without the security config`
}

func readerSecure() {
	d := &kafka.Dialer{TLS: new(int)}
	kafka.NewReader(kafka.ReaderConfig{Brokers: []string{"b"}, Dialer: d})
}

func writerConfig() {
	d := &kafka.Dialer{ClientID: "x"}
	kafka.NewWriter(kafka.WriterConfig{Dialer: d}) // want `without the security config`
}

func writerLit() *kafka.Writer {
	return &kafka.Writer{Addr: "b", Topic: "t"} // want `kafka-go client \(kafka.Writer\) without the security config`
}

func writerLitSecure() *kafka.Writer { // want writerLitSecure:"provider"
	return &kafka.Writer{Addr: "b", Transport: &kafka.Transport{SASL: plain.Mechanism{}}}
}

func writerMutated() *kafka.Writer { // want writerMutated:"provider"
	w := &kafka.Writer{Addr: "b"}
	w.Transport = secprov.Transport()
	return w
}

func dialPackage(ctx context.Context) {
	kafka.DialLeader(ctx, "tcp", "b", "t", 0) // want `without the security config`
}

func dialer(ctx context.Context) {
	d := &kafka.Dialer{}
	d.DialContext(ctx, "tcp", "b") // want `without the security config`
}

func dialerSecure(ctx context.Context) {
	d := &kafka.Dialer{}
	d.SASLMechanism = plain.Mechanism{}
	d.DialContext(ctx, "tcp", "b")
}

func client() *kafka.Client { // want client:"provider"
	return &kafka.Client{Addr: "b", Transport: secprov.Transport()}
}

func viaWrapper() {
	secprov.NewKafkaGoReader(&kafka.Dialer{ClientID: "x"}) // want `built through secprov.NewKafkaGoReader without`
}

func viaWrapperSecure() {
	d := &kafka.Dialer{}
	secprov.ApplyDialer(d)
	secprov.NewKafkaGoReader(d)
}

func conditional(tlsOn bool) {
	d := &kafka.Dialer{}
	if tlsOn {
		d.TLS = new(int)
	}
	kafka.NewReader(kafka.ReaderConfig{Dialer: d})
}

type consumer struct{ dialer *kafka.Dialer } // want dialer:"secured"

func newConsumer() *consumer { // want newConsumer:"provider"
	return &consumer{dialer: &kafka.Dialer{SASLMechanism: plain.Mechanism{}}}
}

func (c *consumer) reader() *kafka.Reader {
	return kafka.NewReader(kafka.ReaderConfig{Dialer: c.dialer})
}

type consumerNeg struct{ dialer *kafka.Dialer }

func newConsumerNeg() *consumerNeg { return &consumerNeg{dialer: &kafka.Dialer{ClientID: "x"}} }

func (c *consumerNeg) reader() *kafka.Reader {
	return kafka.NewReader(kafka.ReaderConfig{Dialer: c.dialer}) // want `without the security config`
}
