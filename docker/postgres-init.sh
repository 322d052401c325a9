#!/bin/sh
# First start of the postgres container (an empty volume): one role and one database per subgraph,
# each role owning its own database and nothing else, so that a service can reach only its data.
# The passwords are the files the `secrets` job made (docker/make-secrets.sh); the services get the
# same ones inside their *_DATABASE_URL files.
set -eu
secrets="${SHUTTER_SECRETS_DIR:-/run/secrets/shutter}"
for service in users media social-graph feed; do
  name="shutter_$(echo "$service" | tr '-' '_')"
  password="$(cat "$secrets/${name}_db_password")"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v name="$name" -v password="$password" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
-- Only the owner (and the superuser) may connect: not every role, as PUBLIC may by default.
REVOKE CONNECT, TEMPORARY ON DATABASE :"name" FROM PUBLIC;
SQL
done
