"""Build: the Go program into a Lambda bootstrap (with a cache), the prebuilt zip, the RDS CA bundle's
copy, the synth benchmark."""
