package direct // want package:"kafkareach\\(kafka\\)"

import "github.com/twmb/franz-go/pkg/kgo"

func Client() (*kgo.Client, error) { return kgo.NewClient() }
