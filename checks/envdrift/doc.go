// Package envdrift is verify's envdrift stage: env/doc/deploy drift; fills Inventory.Env.
//
// It cross-references three inventories of one audited tree.
//
// Reads, from the Go packages the Workspace loaded once (test files excluded): os.Getenv,
// os.LookupEnv, syscall.Getenv, os.ExpandEnv and os.Expand(s, os.Getenv); keys through
// constants, concatenation, strings.ToUpper, ranges over literals of constants and local
// variables assigned exactly once (never through &v, op-assignment or range);
// helper functions and closures whose key is a parameter (inferred to a fixpoint across
// the module, prefixes and suffixes included); lookup functions passed as values or kept
// in struct fields (FromLookup(os.LookupEnv), Config{Lookup: os.LookupEnv}); struct-tag
// libraries (caarlos0/env with Options.Prefix and envPrefix, kelseyhightower/envconfig
// with its prefix and split_words rules,
// sethvargo/go-envconfig with prefix= and PrefixLookuper); viper (BindEnv, and
// SetEnvPrefix + SetEnvKeyReplacer + AutomaticEnv for the keys later read; a prefix not
// known statically makes those names unknown: env-dynamic-read); urfave/cli
// EnvVars; flag/pflag (cobra) env fallbacks computed from flag names in VisitAll
// callbacks; peterbourgon/ff env options; koanf's env provider (v1 Provider(prefix, ...)
// and v2 Opt{Prefix: ...}), a read of every variable of its prefix (PrefixRead; without
// a prefix, a scan of the whole environment). Third-party libraries are recognised by
// import path and selector, so their sources are not needed. A read is attributed to
// every main package whose import closure holds the reading package. Non-constant keys
// and scans of os.Environ are env-dynamic-read (passing os.Environ to a child process is
// not a read).
//
// Mentions, from Markdown (goldmark with GFM: code spans, fenced and indented blocks,
// table cells; prose is not counted, program-language fences count quoted names only,
// a $NAME reference is the snippet's own input).
//
// Sets, from shell (mvdan.cc/sh: export, declare -x, set -a, VAR=x cmd; ${VAR:-x} of a
// variable the script does not export is the script's own input), .env files,
// Dockerfiles (ENV, ARG; a $NAME in RUN, another instruction or an ENV/ARG value is the
// build's own input), docker-compose (environment, env_file, ${VAR}), Kubernetes
// manifests and Helm charts scanned statically (env, envFrom, secretKeyRef; templates
// are de-templated: ranges over values maps and lists, toYaml splices, named templates
// from include, values placeholders resolved through values.yaml).
//
// A container, service, image or command is mapped to a binary through env.binaries,
// else through its names, image, command and args matched to cmd/<name>; values set for
// programs that are not ours (a broker image) are not drift.
//
// Known limits: Helm charts are not rendered (conditionals are taken as both branches,
// helpers outside the chart's templates are not followed); attribution is per package,
// not per call path; a name spelled as a string literal anywhere in the module's code
// counts as read for env-doc-stale.
package envdrift
