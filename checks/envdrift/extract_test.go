package envdrift

import (
	"sort"
	"strconv"
	"strings"
	"testing"
)

// names renders mentions as NAME@line[:set][:secret][:consumed], sorted, for comparison.
func names(ms []*Mention) string {
	var out []string
	for _, m := range ms {
		s := m.Name + "@" + itoa(m.Loc.Line)
		if m.Set {
			s += ":set"
		}
		if m.Secret {
			s += ":secret"
		}
		if m.Consumed {
			s += ":consumed"
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return strings.Join(uniq(out), " ")
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestExtractMarkdown(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"code span", "Set `KAFKA_BROKERS` first.\n", "KAFKA_BROKERS@1"},
		{"prose is not a mention", "Set KAFKA_BROKERS first.\n", ""},
		{"fenced shell block", "text\n\n```sh\nexport DASHSTREAM_TOPIC=x\necho $OTHER_VAR\n```\n", "DASHSTREAM_TOPIC@4 OTHER_VAR@5:consumed"},
		{"reference to an assigned variable is a mention", "```sh\nexport A_B=1\necho $A_B\n```\n`${C_D}` and `C_D=1`\n", "A_B@2 A_B@3 C_D@5"},
		{"indented code block", "para\n\n    KAFKA_TOPIC=t run\n", "KAFKA_TOPIC@3"},
		{"go fence: only quoted", "```go\nconst x = MAX_SIZE\nos.Getenv(\"KAFKA_TOPIC\")\n```\n", "KAFKA_TOPIC@3"},
		{"table code span and plain cell", "| a | b |\n|---|---|\n| `KAFKA_GROUP_ID` | x |\n| KAFKA_DLQ_MODE | y |\n", "KAFKA_DLQ_MODE@4 KAFKA_GROUP_ID@3"},
		{"glob pattern is not a name", "Use `KAFKA_SASL_*` vars.\n", ""},
		{"function call is not a name", "Call `NEW_CLIENT()`.\n", ""},
		{"single word is not a name", "Set `PATH`.\n", ""},
		{"heading prose", "# KAFKA_TOPIC\n", ""},
		{"binary content", "\x00\x01KAFKA_TOPIC`KAFKA_X`", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := names(extractMarkdown("d.md", []byte(c.src))); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestExtractShell(t *testing.T) {
	cases := []struct {
		name, src, want string
		workload        string
	}{
		{"export", "export DASHSTREAM_TOPIC=x\n", "DASHSTREAM_TOPIC@1:set", ""},
		{"export of a default read", "export A_B=\"${A_B:-1}\"\n", "A_B@1 A_B@1:set", ""},
		{"prefix assignment", "KAFKA_AUTO_OFFSET_RESET=latest exporter --once\n", "KAFKA_AUTO_OFFSET_RESET@1:set", "exporter"},
		{"read with default is the script's input", "echo ${SCRIPT_KNOB:-1}\n", "SCRIPT_KNOB@1:consumed", ""},
		{"local variable is not env", "LOCAL_ONLY=1\necho $LOCAL_ONLY\n", "", ""},
		{"lower-case and positional are not env", "for f in a b; do echo $f $1; done\n", "", ""},
		{"set -a exports plain assignments", "set -a\nA_B=1\nset +a\nC_D=2\n", "A_B@2:set", ""},
		{"declare -x", "declare -x A_B=1\n", "A_B@1:set", ""},
		{"env command", "env -i KAFKA_TOPIC=t KAFKA_GROUP_ID=g exporter --once\n", "KAFKA_GROUP_ID@1:set KAFKA_TOPIC@1:set", "exporter"},
		{"env without a command", "env FOO_BAR=1\n", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ms, err := extractShell("s.sh", []byte(c.src))
			if err != nil {
				t.Fatal(err)
			}
			if got := names(ms); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
			if c.workload != "" && (len(ms) == 0 || ms[0].Workload == nil || ms[0].Workload.Name != c.workload) {
				t.Errorf("want workload %q, got mentions %+v", c.workload, ms)
			}
		})
	}
	t.Run("syntax error names file and line", func(t *testing.T) {
		ms, err := extractShell("bad.sh", []byte("export A_B=1\nif then fi (\n"))
		if err == nil || !strings.Contains(err.Error(), "bad.sh:2") {
			t.Fatalf("err = %v, want bad.sh:2", err)
		}
		_ = ms
	})
}

func TestExtractDockerfile(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"ENV key=value", "FROM scratch\nENV KAFKA_TOPIC=t KAFKA_GROUP_ID=\"g x\"\n", "KAFKA_GROUP_ID@2:set KAFKA_TOPIC@2:set"},
		{"ENV legacy form", "ENV KAFKA_TOPIC t\n", "KAFKA_TOPIC@1:set"},
		{"continuation", "ENV A_B=1 \\\n    C_D=2\n", "A_B@1:set C_D@1:set"},
		{"ARG is a mention", "ARG GO_VERSION=1.26\n", "GO_VERSION@1"},
		{"RUN reference: the build reads it", "RUN echo $BUILD_TAG\n", "BUILD_TAG@1:consumed"},
		{"comment", "# ENV A_B=1\n", ""},
		{"ARG default uses another ARG", "ARG TARGETARCH\nARG BIN_DIR=.build/linux-${TARGETARCH}/\n", "BIN_DIR@2 TARGETARCH@1 TARGETARCH@2:consumed"},
		{"ENV value uses an ARG", "ARG VERSION\nENV APP_VERSION=$VERSION\n", "APP_VERSION@2:set VERSION@1 VERSION@2:consumed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := names(extractDockerfile("Dockerfile", []byte(c.src))); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestExtractDotenv(t *testing.T) {
	got := names(extractDotenv(".env", []byte("# c\nKAFKA_BROKERS=a:1\nexport KAFKA_TOPIC='t'\n\nnot a line\n9BAD=x\n")))
	if want := "KAFKA_BROKERS@2:set KAFKA_TOPIC@3:set"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestExtractCompose(t *testing.T) {
	src := "services:\n  server:\n    image: example/server\n    environment:\n      KAFKA_TOPIC: t\n  worker:\n    command: [\"worker\", \"--x\"]\n    env_file: .env\n    environment:\n      - KAFKA_BROKERS=${HOST_BROKERS:-k:9092}\n"
	docs, err := parseYAMLDocs("docker-compose.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	ws, refs := extractCompose("docker-compose.yml", docs)
	if len(ws) != 2 {
		t.Fatalf("want 2 services, got %d", len(ws))
	}
	if got := names(ws[0].Env); got != "KAFKA_TOPIC@5:set" {
		t.Errorf("server env %q", got)
	}
	if got := names(ws[1].Env); got != "KAFKA_BROKERS@10:set" || !ws[1].Open {
		t.Errorf("worker env %q open=%v", got, ws[1].Open)
	}
	if ws[0].Open {
		t.Error("server has no env_file, must not be open")
	}
	if got := names(refs); got != "HOST_BROKERS@10:consumed" {
		t.Errorf("refs %q", got)
	}
	if !strings.Contains(strings.Join(ws[1].Hints, " "), "worker") {
		t.Errorf("hints %v", ws[1].Hints)
	}
}

func TestExtractK8s(t *testing.T) {
	src := `apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data:
  NOT_CONTAINER_ENV: x
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: exporter
spec:
  template:
    spec:
      initContainers:
        - name: init
          image: busybox
      containers:
        - name: exporter
          image: example/exporter:1
          command: ["/exporter"]
          env:
            - name: KAFKA_BROKERS
              value: k:9092
            - name: KAFKA_SASL_PASSWORD
              valueFrom:
                secretKeyRef: {name: s, key: p}
          envFrom:
            - secretRef: {name: more}
`
	docs, err := parseYAMLDocs("k.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	ws := extractK8s("k.yaml", docs, nil, nil)
	if len(ws) != 2 {
		t.Fatalf("want init + main container, got %d", len(ws))
	}
	main := ws[1]
	if got := names(main.Env); got != "KAFKA_BROKERS@22:set KAFKA_SASL_PASSWORD@24:set:secret" {
		t.Errorf("env %q", got)
	}
	if !main.Open || ws[0].Open {
		t.Errorf("envFrom: main open=%v init open=%v", main.Open, ws[0].Open)
	}
	if !strings.Contains(strings.Join(main.Hints, " "), "/exporter") {
		t.Errorf("hints %v", main.Hints)
	}
	t.Run("syntax error names file and line", func(t *testing.T) {
		_, err := parseYAMLDocs("bad.yaml", []byte("a: [1, 2\nb: c\n"))
		if err == nil || !strings.Contains(err.Error(), "bad.yaml") || !strings.Contains(err.Error(), "line") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestExtractHelm(t *testing.T) {
	values := "app:\n  image: example/exporter\n  env:\n    KAFKA_AUTO_OFFSET_RESET: earliest\n  list:\n    - name: KAFKA_TOPIC\n      value: t\n  extra:\n    - name: KAFKA_DLQ_MODE\n      value: best-effort\n  nameKey: KAFKA_GROUP_ID\n"
	tpl := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "x.fullname" . }}
  labels:
    {{- include "x.labels" . | nindent 4 }}
spec:
  template:
    spec:
      containers:
        - name: {{ .Chart.Name }}
          image: "{{ .Values.app.image }}:{{ .Values.tag | default "1" }}"
          env:
            {{- range $k, $v := .Values.app.env }}
            - name: {{ $k }}
              value: {{ $v | quote }}
            {{- end }}
            {{- range .Values.app.list }}
            - name: {{ .name }}
              value: {{ .value | quote }}
            {{- end }}
            - name: {{ .Values.app.nameKey }}
              value: g
            {{- if .Values.secure }}
            - name: KAFKA_SECURITY_PROTOCOL
              value: sasl_ssl
            {{- end }}
          envFrom: []
        - name: sidecar
          image: other
          env:
            {{- toYaml .Values.app.extra | nindent 12 }}
`
	vdocs, err := parseYAMLDocs("values.yaml", []byte(values))
	if err != nil {
		t.Fatal(err)
	}
	docs, err := parseYAMLDocs("t.yaml", detemplate([]byte(tpl)))
	if err != nil {
		t.Fatalf("detemplated YAML does not parse: %v\n%s", err, detemplate([]byte(tpl)))
	}
	ws := extractK8s("t.yaml", docs, &valueResolver{file: "values.yaml", root: vdocs[0]}, nil)
	if len(ws) != 2 {
		t.Fatalf("want 2 containers, got %d", len(ws))
	}
	if got, want := names(ws[0].Env), "KAFKA_AUTO_OFFSET_RESET@4:set KAFKA_GROUP_ID@22:set KAFKA_SECURITY_PROTOCOL@25:set KAFKA_TOPIC@6:set"; got != want {
		t.Errorf("env\n got %q\nwant %q", got, want)
	}
	if ws[0].Env[0].Loc.File != "values.yaml" {
		t.Errorf("range key located in %s, want values.yaml", ws[0].Env[0].Loc.File)
	}
	if !strings.Contains(strings.Join(ws[0].Hints, " "), "example/exporter:") {
		t.Errorf("image not resolved through values: %v", ws[0].Hints)
	}
	if ws[0].Open {
		t.Error("empty envFrom must not open the container")
	}
	if got := names(ws[1].Env); got != "KAFKA_DLQ_MODE@9:set" {
		t.Errorf("toYaml splice: %q", got)
	}
	// negative twin: the same template without values names nothing through values
	ws = extractK8s("t.yaml", docs, &valueResolver{file: "values.yaml"}, nil)
	if got := names(ws[0].Env); got != "KAFKA_SECURITY_PROTOCOL@25:set" {
		t.Errorf("without values: %q", got)
	}
}

func TestExtractHelmInclude(t *testing.T) {
	helpers := "{{/* env of the app */}}\n{{- define \"app.env\" -}}\n{{- if .Values.x }}\n- name: KAFKA_SECURITY_PROTOCOL\n  value: sasl_ssl\n{{- end }}\n- name: KAFKA_SASL_PASSWORD\n  valueFrom:\n    secretKeyRef: {name: s, key: p}\n{{- end -}}\n{{- define \"app.other\" -}}\nx: 1\n{{- end -}}\n"
	defs := map[string]helmDefine{}
	helmDefines("templates/_helpers.tpl", []byte(helpers), defs)
	if len(defs) != 2 || defs["app.env"].line != 2 {
		t.Fatalf("defines %+v", defs)
	}
	tpl := "spec:\n  containers:\n    - name: app\n      env:\n        {{- include \"app.env\" . | nindent 8 }}\n        - name: KAFKA_TOPIC\n          value: t\n    - name: other\n      env:\n        {{- include \"missing.env\" . | nindent 8 }}\n"
	docs, err := parseYAMLDocs("t.yaml", detemplate([]byte(tpl)))
	if err != nil {
		t.Fatalf("%v\n%s", err, detemplate([]byte(tpl)))
	}
	ws := extractK8s("t.yaml", docs, &valueResolver{file: "values.yaml", defines: defs}, nil)
	if got, want := names(ws[0].Env), "KAFKA_SASL_PASSWORD@7:set:secret KAFKA_SECURITY_PROTOCOL@4:set KAFKA_TOPIC@6:set"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if ws[0].Env[0].Loc.File != "templates/_helpers.tpl" {
		t.Errorf("included entry located in %s", ws[0].Env[0].Loc.File)
	}
	if len(ws[1].Env) != 0 {
		t.Errorf("unknown include must add nothing: %v", names(ws[1].Env))
	}
}
