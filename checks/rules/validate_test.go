package rules

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
)

// sameAsRulefmt reports the difference between validate, given data's first document as
// Load parses it, and rulefmt.Parse on data ("" when they agree). Data that Load would
// not hand to validate with a document (YAML syntax errors) is skipped.
func sameAsRulefmt(data []byte) string {
	docs, err := decodeDocs(data)
	if err != nil || len(docs) == 0 {
		return ""
	}
	_, want := rulefmt.Parse(data, false, model.UTF8Validation, promQL, discard)
	got := validate(data, docs[0], promQL)
	if g, w := errorSet(got), errorSet(want); g != w {
		return fmt.Sprintf("validate: %s\nrulefmt.Parse: %s", g, w)
	}
	return ""
}

// errorSet renders errors sorted: Validate ranges over label and annotation maps.
func errorSet(errs []error) string {
	var s []string
	for _, e := range errs {
		s = append(s, e.Error())
	}
	sort.Strings(s)
	return strings.Join(s, "\n")
}

// TestValidateMatchesRulefmt checks that validate reports exactly rulefmt.Parse's errors,
// on the table cases, testdata and the shared corpus (when present).
func TestValidateMatchesRulefmt(t *testing.T) {
	inputs := map[string][]byte{}
	for _, c := range checkCases {
		for i, fs := range c.files {
			inputs[fmt.Sprintf("%s/%d", c.name, i)] = []byte(fs.text)
		}
	}
	for _, root := range []string{"testdata", os.Getenv("STREAMAUDIT_CORPORA"), "/work/shared/corpora"} {
		if root == "" {
			continue
		}
		_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.Contains(".yml.yaml.rules", filepath.Ext(p)) || filepath.Ext(p) == "" {
				return nil
			}
			if data, err := os.ReadFile(p); err == nil {
				inputs[p] = data
			}
			return nil
		})
	}
	if len(inputs) < 10 {
		t.Fatalf("only %d inputs", len(inputs))
	}
	t.Logf("%d inputs", len(inputs))
	for name, data := range inputs {
		if diff := sameAsRulefmt(data); diff != "" {
			t.Errorf("%s:\n%s", name, diff)
		}
	}
}

// FuzzValidate checks validate against rulefmt.Parse on arbitrary input.
func FuzzValidate(f *testing.F) {
	for _, c := range checkCases {
		for _, fs := range c.files {
			f.Add([]byte(fs.text))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if diff := sameAsRulefmt(data); diff != "" {
			t.Fatal(diff)
		}
	})
}
