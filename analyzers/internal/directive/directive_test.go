package directive

import "testing"

func TestParse(t *testing.T) {
	for _, c := range []struct {
		text   string
		ok     bool
		rule   string
		reason string
	}{
		{"//streamaudit:ignore kafka-security local test broker", true, "kafka-security", "local test broker"},
		{"//streamaudit:ignore kafka-hotloop", true, "kafka-hotloop", ""},
		{"//streamaudit:ignore", false, "", ""},
		{"//streamaudit:ignored kafka-security x", false, "", ""},
		{"// streamaudit:ignore kafka-security x", false, "", ""},
		{"//streamaudit:kafka-security", false, "", ""},
	} {
		ig, ok := Parse(c.text)
		if ok != c.ok || ig.Rule != c.rule || ig.Reason != c.reason {
			t.Errorf("Parse(%q) = %+v, %v; want rule %q reason %q ok %v", c.text, ig, ok, c.rule, c.reason, c.ok)
		}
	}
}
