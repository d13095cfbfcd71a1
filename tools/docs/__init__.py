"""Documents generated from the code: the README's configuration table and docs/security.md."""
