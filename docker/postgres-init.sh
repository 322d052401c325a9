#!/bin/sh
# First start of the postgres container: one role and one database per subgraph, each owning its
# own, so that a service can reach only its data. Passwords come from the environment.
set -eu
for service in users media social-graph feed; do
  password_var="$(echo "$service" | tr 'a-z-' 'A-Z_')_DB_PASSWORD"
  password="$(printenv "$password_var")"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE shutter_$(echo "$service" | tr '-' '_') LOGIN PASSWORD '$password';
CREATE DATABASE shutter_$(echo "$service" | tr '-' '_') OWNER shutter_$(echo "$service" | tr '-' '_');
SQL
done
