"""Command-line tools for the app, by audience.

- `tools.build`: the Go build behind the Lambda asset, the prebuilt zip, the synth benchmark.
- `tools.gates`: what stands between a change and a deploy: the synth summary, cfn-lint and
  checkov, the stateful guard, the template diff, make's CONTEXT check, and the one cloud-assembly
  reader they share.
- `tools.ops`: what operators run against a deployed environment: secrets, smoke test.
- `tools.local`: the binary under the Lambda emulator with local PostgreSQL, Redis, SSM and S3,
  and its benchmarks.
- `tools.cost`: the monthly cost report.
- `tools.docs`: docs/configuration.md's table and docs/security.md, generated from the code.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""The project's folder."""
