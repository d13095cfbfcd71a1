"""The cost report: what the synthesized stacks cost a month, Lambda against ECS.

`inventory` reads the billable resources out of a cloud assembly, `prices` holds the
committed price table, `model` turns both plus a usage assumption into monthly lines,
and `python -m tools.cost` prints the comparison. `python -m tools.cost.refresh`
rewrites a price table from the AWS Price List API.
"""


class CostError(Exception):
    """The report cannot be made; the message is one line for the user."""
