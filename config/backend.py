"""What the Go backend fixes: its database user and name, its ports, its secrets, its pools and how many run."""

from __future__ import annotations

# Fixed by the seed: the database and ports, and the master user (the seed's DB_USER), which the
# backend no longer uses: it is for break-glass and for the role provider (cmd/dbrole) only.
DB_MASTER_USER = "postgres"
DB_NAME = "anigmaa"
# The role the backend connects as (its DB_USER), with IAM tokens: the data stack creates it.
DB_APP_USER = "anigmaa_app"
DB_PORT = 5432
REDIS_PORT = 6379
APP_PORT = 8080

# Database connections one process may hold (the backend's pool reads DB_MAX_CONNS): few
# per Lambda execution environment, because concurrency multiplies them.
LAMBDA_DB_MAX_CONNS = 2
ECS_DB_MAX_CONNS = 10
# A rolling ECS deploy starts the new tasks before it stops the old: up to this share of
# ecs_desired_count runs (and holds connections) at once.
ECS_DEPLOY_MAX_PERCENT = 200

# The SecureStrings kept under the environment's ssm_prefix.
SECRET_NAMES = ("DB_PASSWORD", "JWT_SECRET", "REDIS_PASSWORD", "MIDTRANS_SERVER_KEY")
# Those the backend reads: not DB_PASSWORD, the master's, since it connects as DB_APP_USER with IAM.
BACKEND_SECRET_NAMES = tuple(name for name in SECRET_NAMES if name != "DB_PASSWORD")

# The Lambda alias that serves traffic: the HTTP API, the alarms, the smoke test and a manual
# invoke address it, never $LATEST. CodeDeploy moves it from one published version to the next.
LIVE_ALIAS = "live"
