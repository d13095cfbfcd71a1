"""The Lambda binary run locally, under the Runtime Interface Emulator with PostgreSQL, Redis,
SSM and S3, and the benchmarks that run it."""
