// Package kafkaconf is streamsvc's one configuration: the environment table (which also
// generates docs/CONFIGURATION.md), its validation, and the only constructor of Kafka
// clients in the repository, so that the security settings reach every client.
package kafkaconf

// Var is one row of the configuration table.
type Var struct {
	Name    string
	Default string
	// Allowed lists the accepted values; empty means free-form.
	Allowed []string
	// Secret marks values that must never be printed.
	Secret  bool
	Section string
	Doc     string
}

// Sections of the table, in document order.
const (
	SectionKafka    = "Kafka connection"
	SectionSecurity = "Kafka security"
	SectionDLQ      = "Dead-letter queue"
	SectionService  = "Service"
)

// Table is the single source of streamsvc's environment: validation, CLI help and
// docs/CONFIGURATION.md all derive from it. Names follow librdkafka property names.
var Table = []Var{
	{Name: "KAFKA_BROKERS", Default: "127.0.0.1:9092", Section: SectionKafka,
		Doc: "Comma-separated seed brokers (host:port). Every subcommand reads it (flag `--brokers`)."},
	{Name: "KAFKA_TOPIC", Default: "dashstream-quality", Section: SectionKafka,
		Doc: "Telemetry topic. The same default for every subcommand (flag `--topic`)."},
	{Name: "KAFKA_GROUP_ID", Default: "streamsvc", Section: SectionKafka,
		Doc: "Consumer group of `serve`. Operator commands (`tail`, `replay`, `dlq`) use a unique, uncommitted group unless this is set explicitly."},
	{Name: "KAFKA_AUTO_OFFSET_RESET", Default: "earliest", Allowed: []string{"earliest", "latest"}, Section: SectionKafka,
		Doc: "Where a group without committed offsets starts: `earliest` reads the backlog, `latest` skips it."},
	{Name: "KAFKA_SECURITY_PROTOCOL", Default: "plaintext", Allowed: []string{"plaintext", "ssl", "sasl_plaintext", "sasl_ssl"}, Section: SectionSecurity,
		Doc: "Transport and authentication, applied to every client (consumer, producer, admin, every CLI command)."},
	{Name: "KAFKA_SASL_MECHANISM", Default: "PLAIN", Allowed: []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}, Section: SectionSecurity,
		Doc: "SASL mechanism for `sasl_plaintext` and `sasl_ssl`."},
	{Name: "KAFKA_SASL_USERNAME", Section: SectionSecurity,
		Doc: "SASL user name; required with `sasl_*` protocols."},
	{Name: "KAFKA_SASL_PASSWORD", Secret: true, Section: SectionSecurity,
		Doc: "SASL password. Never logged or printed. Mutually exclusive with `KAFKA_SASL_PASSWORD_FILE`."},
	{Name: "KAFKA_SASL_PASSWORD_FILE", Section: SectionSecurity,
		Doc: "File holding the SASL password (e.g. a mounted Secret); one trailing newline is removed."},
	{Name: "KAFKA_SSL_CA_LOCATION", Section: SectionSecurity,
		Doc: "PEM file of CA certificates to verify brokers; the system pool when unset."},
	{Name: "KAFKA_SSL_CERTIFICATE_LOCATION", Section: SectionSecurity,
		Doc: "PEM client certificate for mutual TLS; needs `KAFKA_SSL_KEY_LOCATION`."},
	{Name: "KAFKA_SSL_KEY_LOCATION", Secret: false, Section: SectionSecurity,
		Doc: "PEM private key of the client certificate (the path is printed, never the key)."},
	{Name: "KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM", Default: "https", Allowed: []string{"https", "none"}, Section: SectionSecurity,
		Doc: "`https` verifies the broker host name against its certificate; `none` still verifies the certificate chain but not the host name."},
	{Name: "KAFKA_DLQ_TOPIC", Default: "dashstream-quality-dlq", Section: SectionDLQ,
		Doc: "Dead-letter topic for records that cannot be decoded."},
	{Name: "KAFKA_DLQ_MODE", Default: "fail-closed", Allowed: []string{"fail-closed", "best-effort"}, Section: SectionDLQ,
		Doc: "`fail-closed`: bounded retries, and while the DLQ cannot be written the partition pauses and its offset does not advance (nothing is lost). `best-effort`: the record is counted as dropped and the offset moves on."},
	{Name: "STREAMSVC_HTTP_ADDR", Default: "127.0.0.1:8080", Section: SectionService,
		Doc: "Listen address of `serve`: `/` (live page), `/ws`, `/metrics`, `/healthz`, `/readyz`."},
	{Name: "STREAMSVC_WS_TOKEN", Secret: true, Section: SectionService,
		Doc: "Optional bearer token required on `/ws` (header `Authorization: Bearer …` or `?token=`)."},
	{Name: "STREAMSVC_WS_ORIGINS", Section: SectionService,
		Doc: "Comma-separated origin patterns allowed to open `/ws` from a browser; same-origin only when unset."},
}

// Lookup returns the table row of name.
func Lookup(name string) (Var, bool) {
	for _, v := range Table {
		if v.Name == name {
			return v, true
		}
	}
	return Var{}, false
}
