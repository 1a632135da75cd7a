package server

import (
	"fmt"
	"strings"
)

// ConfigMarkdown renders docs/configuration.md from Params, the table the
// flags and the XML loader use, so the docs cannot drift from them.
func ConfigMarkdown() string {
	var b strings.Builder
	b.WriteString("# fsstar serve: configuration\n\n")
	b.WriteString("<!-- Generated from server.Params() by TestConfigDocs; do not edit. " +
		"Run `go test ./server -run TestConfigDocs -update` after changing the table. -->\n\n")
	b.WriteString("Every param is read from `conf/fsstar.conf.xml` " +
		"(`<configuration name=\"fsstar.conf\"><settings><param name=\"..\" value=\"..\"/>`) " +
		"and is also a flag of `fsstar serve` (`-name value`). Flags win over the file, which wins over the defaults. " +
		"An unknown param is an error. Repeatable params given as flags replace the file's values.\n\n")
	b.WriteString("| param | default | live | description |\n|---|---|---|---|\n")
	for _, p := range Params() {
		def := "`" + p.Default + "`"
		if p.Default == "" {
			def = "(empty)"
		}
		usage := strings.ReplaceAll(p.Usage, "|", "\\|")
		if p.Repeatable {
			usage += " Repeatable."
		}
		l := ""
		if p.Live() {
			l = "yes"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", p.Name, def, l, usage)
	}
	b.WriteString("\n\"live\" params are applied on SIGHUP (the file given with `-config` is read again, flags still win); " +
		"the others need a restart. The ESL password is never written to the logs.\n\n" +
		"Every listener binds 127.0.0.1 by default. Binding the HTTP gateway elsewhere without `http-token` " +
		"logs a warning at start.\n")
	return b.String()
}
