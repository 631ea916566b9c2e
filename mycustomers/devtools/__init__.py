"""Development and operations tooling: the project-local PostgreSQL cluster, backup and
restore, the benchmark and the demo data. Nothing in the app or its settings imports this
package; management commands and the Makefile use it."""
