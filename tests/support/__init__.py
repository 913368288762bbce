"""Support code shared by the end-to-end tests and the chaos harness: real bot processes, venue invariants."""
