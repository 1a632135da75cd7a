// Package devtools holds the logic of fsstar's developer commands that talk
// to a switch once and leave: reaching the switch (a real one over inbound
// ESL, or the simulated one of esltest started in-process), and `fsstar run`
// / `fsstar api`, which assemble the same server `fsstar serve` runs (no
// listener a switch could reach) to run one runtime(args) or fsapi call.
package devtools
