package kafkaconf

import (
	"fmt"
	"strings"
)

// Markdown renders docs/CONFIGURATION.md from Table.
func Markdown() string {
	var b strings.Builder
	b.WriteString("# streamsvc configuration\n\n")
	b.WriteString("<!-- Generated from streamsvc/kafkaconf/table.go by `go test ./streamsvc/kafkaconf -run TestConfigurationDoc -update`; do not edit. -->\n\n")
	b.WriteString("streamsvc reads its whole configuration from the environment. Every Kafka client of every\n")
	b.WriteString("subcommand (consumer, DLQ producer, admin, `tail`, `replay`, `lag`, `produce`, `dlq`) is built by\n")
	b.WriteString("one constructor, `kafkaconf.NewClient`, which applies the security settings below, so\n")
	b.WriteString("`KAFKA_SECURITY_PROTOCOL=sasl_ssl` with a CA and SASL credentials works everywhere without code changes.\n")
	b.WriteString("Invalid values stop the process with an error naming the variable and the value (never a secret's value).\n")
	b.WriteString("A security setting the chosen `KAFKA_SECURITY_PROTOCOL` would not use (a CA file with `plaintext`, a SASL user\n")
	b.WriteString("with `ssl`) is an error too, so configured security is never silently ignored; TLS files are parsed at start-up.\n")
	b.WriteString("`kafkaconf.Ping` reports why a connection is refused (TLS or SASL required, untrusted CA, wrong password).\n")
	sections := []string{SectionKafka, SectionSecurity, SectionDLQ, SectionService}
	for _, s := range sections {
		fmt.Fprintf(&b, "\n## %s\n\n| Variable | Default | Allowed | Description |\n|---|---|---|---|\n", s)
		for _, v := range Table {
			if v.Section != s {
				continue
			}
			def := "—"
			if v.Default != "" {
				def = "`" + v.Default + "`"
			}
			allowed := "any"
			if len(v.Allowed) > 0 {
				allowed = "`" + strings.Join(v.Allowed, "`, `") + "`"
			}
			doc := v.Doc
			if v.Secret {
				doc += " *(secret)*"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", v.Name, def, allowed, doc)
		}
	}
	return b.String()
}
