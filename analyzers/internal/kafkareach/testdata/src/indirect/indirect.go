package indirect // want package:"kafkareach\\(kafka\\)"

// This package reaches franz-go only through direct, and its API shows no Kafka type.
import (
	"direct"
	"plain"
)

func Start() error {
	_ = plain.Upper("x")
	_, err := direct.Client()
	return err
}
