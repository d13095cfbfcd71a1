"""Documents generated from the code: docs/configuration.md's table and docs/security.md."""
