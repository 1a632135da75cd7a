// Package server wires esl, the loader/engine and builtins into the
// long-running `fsstar serve` service: the outbound ESL listener the dialplan
// `socket` app reaches, the HTTP gateway for mod_curl (fsapi), mod_xml_curl
// (xml_fetch) and runtime jobs, the shared inbound ESL connection, metrics,
// and a graceful drain.
//
// Configuration comes from conf/fsstar.conf.xml in FreeSWITCH's own form;
// Params is the single table behind the file, the flags and the docs.
package server
