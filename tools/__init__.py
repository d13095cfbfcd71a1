"""Command-line tools for working with the app and its deployed stacks."""
