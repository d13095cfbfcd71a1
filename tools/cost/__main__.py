"""Monthly cost of an environment on the Lambda path and on the ECS path, from its synth.

Usage: python -m tools.cost [--env prod] [--requests 100k 1M 10M 100M] [--avg-ms 100]
                            [--bucket-gb 5] [--daily-change 0.02] [--waf-logged-share 0.02]
                            [-c key=value ...] [--prices FILE] [--sources]
       python -m tools.cost --lambda-assembly DIR --ecs-assembly DIR   (price existing synths)

By default it synthesizes the environment in both compute modes (offline, with the pinned
CDK CLI, into .cost/) and prices what those templates would deploy.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from tools import ROOT
from tools.cost import CostError, inventory, prices
from tools.cost.model import Usage
from tools.cost.report import compare, render, render_sources
from tools.gates.assembly import SynthError, synthesize

DEFAULT_VOLUMES = ("100k", "1M", "10M", "100M")
_VOLUME = re.compile(r"(\d+(?:\.\d+)?)([kKmMgG]?)")
_SUFFIX = {"": 1, "k": 1e3, "m": 1e6, "g": 1e9}


def volume(text: str) -> float:
    """A monthly request count: 250000, 250k, 1.5M."""
    match = _VOLUME.fullmatch(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a request count; accepted: e.g. 250000, 250k, 1.5M")
    return float(match.group(1)) * _SUFFIX[match.group(2).lower()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.cost", description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="prod", help="environment in cdk.json (default prod)")
    parser.add_argument("--requests", nargs="+", type=volume, default=[volume(v) for v in DEFAULT_VOLUMES],
                        help="requests a month, one column each (default 100k 1M 10M 100M)")  # fmt: skip
    parser.add_argument("--avg-ms", type=float, default=100.0, help="billed Lambda duration per request (ms)")
    parser.add_argument("--response-kb", type=float, default=4.0, help="average response size (KB)")
    parser.add_argument("--nat-gb", type=float, default=1.0, help="GB a month out through NAT (Midtrans, AWS)")
    parser.add_argument("--log-bytes-lambda", type=int, default=1100, help="log bytes per request on Lambda")
    parser.add_argument("--log-bytes-ecs", type=int, default=250, help="log bytes per request on ECS")
    parser.add_argument("--bucket-gb", type=float, default=5.0, help="GB in the assets bucket, for its backups")
    parser.add_argument("--daily-change", type=float, default=0.02,
                        help="share of the database and bucket changing a day (incremental backups)")  # fmt: skip
    parser.add_argument("--waf-logged-share", type=float, default=0.02,
                        help="share of requests the web ACL blocks or counts and logs (edge protection)")  # fmt: skip
    parser.add_argument("--waf-log-bytes", type=int, default=2000, help="bytes of one WAF log record")
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE",
                        help="CDK context for the synth, as cdk synth -c takes it")  # fmt: skip
    parser.add_argument("--prices", type=Path, help="price file (default tools/cost/prices/<region>.json)")
    parser.add_argument("--lambda-assembly", type=Path, help="price this synthesized assembly (compute=lambda)")
    parser.add_argument("--ecs-assembly", type=Path, help="price this synthesized assembly (compute=ecs)")
    parser.add_argument("--sources", action="store_true", help="also list every price used, with its source")
    args = parser.parse_args(argv)

    try:
        print(_report(args))
    except (CostError, SynthError) as error:
        print(f"cost: {error}", file=sys.stderr)
        return 1
    return 0


def _report(args: argparse.Namespace) -> str:
    if (args.lambda_assembly is None) != (args.ecs_assembly is None):
        raise CostError("--lambda-assembly and --ecs-assembly go together; accepted: both, or neither")
    for item in args.context:
        if "=" not in item or item.split("=", 1)[0] in ("env", "compute"):
            raise CostError(f"-c {item}: accepted: KEY=VALUE for a configuration key (env and compute have flags)")
    assemblies = {"lambda": args.lambda_assembly, "ecs": args.ecs_assembly}
    if args.lambda_assembly is None:
        for mode in assemblies:
            outdir = ROOT / ".cost" / f"{args.env}-{mode}"
            assemblies[mode] = synthesize(outdir, env=args.env, compute=mode, context=args.context)
    lambda_inv = inventory.read(assemblies["lambda"])
    ecs_inv = inventory.read(assemblies["ecs"])
    table = prices.load(args.prices or prices.default_path(lambda_inv.region))
    usage = Usage(
        requests=args.requests[0],
        avg_ms=args.avg_ms,
        response_kb=args.response_kb,
        nat_gb=args.nat_gb,
        log_bytes_lambda=args.log_bytes_lambda,
        log_bytes_ecs=args.log_bytes_ecs,
        bucket_gb=args.bucket_gb,
        daily_change=args.daily_change,
        waf_logged_share=args.waf_logged_share,
        waf_log_bytes=args.waf_log_bytes,
    )
    comparison = compare(args.env, table, lambda_inv, ecs_inv, usage, args.requests)
    text = render(comparison)
    if args.sources:
        text += "\n\n" + render_sources(comparison)
    return text


if __name__ == "__main__":
    sys.exit(main())
