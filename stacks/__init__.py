"""The app's CloudFormation stacks; each composes constructs from `constructs/`."""

from pathlib import Path

# The Go program both compute paths run: bundled for Lambda, built from its Dockerfile for ECS.
LAMBDA_SOURCE_DIR = Path(__file__).resolve().parent.parent / "lambda_src"
