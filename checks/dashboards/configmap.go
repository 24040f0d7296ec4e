package dashboards

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// LoadConfigMaps loads the Grafana dashboards held in ConfigMap data values ending in
// .json (also inside a List, and in multi-document files), as kube-prometheus and
// Grafana's sidecar provisioning ship them. Lines are those of the YAML file. A file
// without such dashboards yields none; a YAML error yields one dashboard with a Problem.
func LoadConfigMaps(path string, data []byte) (out []*Dashboard) {
	defer func() {
		if r := recover(); r != nil {
			out = append(out, &Dashboard{Path: path, Problem: &Problem{Line: 1, Msg: fmt.Sprintf("internal error while loading (please report): %v", r)}})
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			return append(out, &Dashboard{Path: path, Problem: &Problem{Line: 1, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}})
		}
		out = append(out, configMapDashboards(path, &doc)...)
	}
}

func configMapDashboards(path string, n *yaml.Node) []*Dashboard {
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	get := func(key string) *yaml.Node {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1]
			}
		}
		return nil
	}
	var out []*Dashboard
	if items := get("items"); items != nil && items.Kind == yaml.SequenceNode {
		for _, it := range items.Content {
			out = append(out, configMapDashboards(path, it)...)
		}
	}
	kind := get("kind")
	d := get("data")
	if kind == nil || kind.Value != "ConfigMap" || d == nil || d.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(d.Content); i += 2 {
		k, v := d.Content[i], d.Content[i+1]
		if !strings.HasSuffix(k.Value, ".json") || v.Kind != yaml.ScalarNode {
			continue
		}
		offset := k.Line - 1
		if v.Style&yaml.LiteralStyle != 0 {
			offset = v.Line // content starts on the line after `|`
		}
		db := Load(path, []byte(v.Value))
		if db.Problem != nil {
			db.Problem.Line += offset
			if db.Problem.Line < 1 {
				db.Problem.Line = 1
			}
			db.Problem.Msg = "data." + k.Value + ": " + db.Problem.Msg
		}
		for j := range db.Queries {
			db.Queries[j].Line += offset
			db.Queries[j].Where = "data." + k.Value + " " + db.Queries[j].Where
		}
		out = append(out, db)
	}
	return out
}
