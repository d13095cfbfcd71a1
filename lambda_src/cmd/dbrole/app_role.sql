-- The backend's privileges on its own database, granted by cmd/dbrole as the master user in one
-- transaction once the role exists (LOGIN, and no SUPERUSER, CREATEDB, CREATEROLE, REPLICATION
-- or BYPASSRLS: the provider creates it so and refuses a role that has any of them).
-- Every statement is idempotent: a second run changes nothing. Nothing is revoked or dropped.
-- {{.Role}}, {{.Database}} and {{.Master}} are quoted identifiers.

-- Logs in with IAM tokens only: RDS refuses a password for a member of rds_iam.
GRANT rds_iam TO {{.Role}};

-- Connects to its own database.
GRANT CONNECT ON DATABASE {{.Database}} TO {{.Role}};

-- Uses the objects of schema public. Not CREATE: the backend runs no migrations; a schema
-- change runs as the master user (see "The application role" in the README).
GRANT USAGE ON SCHEMA public TO {{.Role}};

-- Reads and writes the rows of the tables that exist, and uses their sequences (serial and
-- identity columns): a database that already holds data, its tables owned by the master.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {{.Role}};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {{.Role}};

-- The same on the tables and sequences the master creates later.
ALTER DEFAULT PRIVILEGES FOR ROLE {{.Master}} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {{.Role}};
ALTER DEFAULT PRIVILEGES FOR ROLE {{.Master}} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {{.Role}};
