package rules

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// helmOnlyRegexp is the regexp helmOnly replaces: the oracle it must agree with.
var helmOnlyRegexp = regexp.MustCompile(`\{\{-?\s*(?:/\*|.*?(?:\.Values\b|\.Release\.|\.Chart\.|\.Capabilities\b|\.Files\.|\binclude\s+"|\btemplate\s+"|\btoYaml\b|\bnindent\b|\btpl\b|\brequired\s+"|\$\.Values))`)

var helmOnlySeeds = []string{
	"", "{{", "{{}}", "{{ .Values.x }}", "{{- /* c */}}", "{{/* c */}}", "{{ - /* c */}}", "{{-\t/*",
	"{{ $labels.instance }} {{/* later comment */}}", "{{{/*", "x{{include \"a\" .}}", "{{ xinclude \"a\" }}",
	"{{ .ValuesX }}", "{{ $.Values.a }}", "{{ toYaml . | nindent 4 }}", "{{ tpl .x . }}", "{{ required \"m\" .x }}",
	"{{ .Release.Name }}", "{{ .Chart.Name }}", "{{ .Capabilities.KubeVersion }}", "{{ .Files.Get \"a\" }}",
	"summary: '{{ $value }} and .Values outside'", ".Values {{ x }}", "{{ template \"x\" . }}", "{{-/*",
	"{{\r/*", "{{ x }}\r", "{{ humanize $value }} {{ $labels.job }}", "{{{{ .Values }}",
}

// TestHelmOnlyMatchesRegexp checks helmOnly against the regexp on the seeds and on every
// line of the rule corpus (when present) and of testdata.
func TestHelmOnlyMatchesRegexp(t *testing.T) {
	lines := append([]string(nil), helmOnlySeeds...)
	for _, root := range []string{"testdata", os.Getenv("STREAMAUDIT_CORPORA"), "/work/shared/corpora"} {
		if root == "" {
			continue
		}
		_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			data, err := os.ReadFile(p)
			if err == nil && strings.Contains(string(data), "{{") {
				for _, l := range strings.Split(string(data), "\n") {
					lines = append(lines, strings.TrimSpace(l), l)
				}
			}
			return nil
		})
	}
	for _, l := range lines {
		if got, want := helmOnly(l), helmOnlyRegexp.MatchString(l); got != want {
			t.Errorf("helmOnly(%q) = %v, the regexp says %v", l, got, want)
		}
	}
}

// FuzzHelmOnly checks helmOnly against the regexp on arbitrary lines (helmTemplate
// splits files at "\n", so a line never holds one).
func FuzzHelmOnly(f *testing.F) {
	for _, s := range helmOnlySeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, l string) {
		if strings.Contains(l, "\n") {
			t.Skip("not a line")
		}
		if got, want := helmOnly(l), helmOnlyRegexp.MatchString(l); got != want {
			t.Fatalf("helmOnly(%q) = %v, the regexp says %v", l, got, want)
		}
	})
}
