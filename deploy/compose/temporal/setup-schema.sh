#!/bin/sh
# Creates Temporal's two PostgreSQL databases and brings their schemas up to date, once, before
# the server starts. The documented set-up of the temporalio/server image: the schema is set up
# by temporal-sql-tool from temporalio/admin-tools (temporalio/samples-server, compose/scripts/
# setup-postgres.sh at b7bc4c5; docs.temporal.io/self-hosted-guide/deployment). Running it again
# is harmless: `create` of an existing database fails and is ignored, `update-schema` only
# applies versions not yet applied (which is also how a Temporal upgrade migrates the schema).
set -eu
: "${POSTGRES_SEEDS:?set POSTGRES_SEEDS}" "${POSTGRES_USER:?set POSTGRES_USER}" "${SQL_PASSWORD:?set SQL_PASSWORD}"
PORT="${DB_PORT:-5432}"
SCHEMA=/etc/temporal/schema/postgresql/v12
tool() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -u "$POSTGRES_USER" -p "$PORT" "$@"; }

for db in temporal temporal_visibility; do
  tool --db "$db" create || echo "database $db exists"
done
if ! tool --db temporal setup-schema -v 0.0 2>/dev/null; then echo "temporal schema exists"; fi
tool --db temporal update-schema -d "$SCHEMA/temporal/versioned"
if ! tool --db temporal_visibility setup-schema -v 0.0 2>/dev/null; then echo "visibility schema exists"; fi
tool --db temporal_visibility update-schema -d "$SCHEMA/visibility/versioned"
echo "Temporal schema is up to date"
