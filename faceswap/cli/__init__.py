"""Command-line interface: parse flags, call library functions, map errors to exit codes."""
