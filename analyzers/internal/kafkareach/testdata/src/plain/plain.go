package plain // no fact: neither a Kafka client nor a flag library is reachable

import "strings"

func Upper(s string) string { return strings.ToUpper(s) }
