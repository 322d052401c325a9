#!/bin/sh
# The compose stack's one-shot `secrets` job (the backend image, as root): makes every secret once
# into the `secrets` volume, and keeps them on later runs. Each container reads what it needs
# through *_FILE variables; nothing secret is in docker-compose.yml or in any image.
#   - the product's keys: node packages/local-infra/dist/make-secrets.js (the gateway signing
#     secret, the access-token key pair, the VAPID key pair);
#   - a Postgres superuser password, and a role password per subgraph with the URL that uses it;
#   - MinIO's root credentials, and the media service's own S3 key (the `buckets` job makes that
#     user, allowed its bucket and nothing else).
# Owners: the services run as `node` (uid 1000, the Node image's); Postgres reads its files as
# `postgres` (uid 999 in the postgres image), before and after it drops root. Every file is 0600
# except the public keys: a container reads only files that its own user owns.
set -eu
dir="${1:-/run/secrets/shutter}"
node packages/local-infra/dist/make-secrets.js "$dir"

# 24 random bytes, base64url: nothing in it needs escaping in a URL, a shell word or SQL.
random() { node -e 'process.stdout.write(require("node:crypto").randomBytes(24).toString("base64url"))'; }
# Writes the file only when it is missing: a second `docker compose up` must not change a password
# that Postgres or MinIO already holds in its volume.
keep_or_make() {
  if [ ! -s "$dir/$1" ]; then
    random > "$dir/$1"
    echo "secrets: made $1"
  fi
}

keep_or_make postgres_password
for service in users media social-graph feed; do
  role="shutter_$(echo "$service" | tr '-' '_')"
  keep_or_make "${role}_db_password"
  # The URL the service reads (USERS_DATABASE_URL_FILE and so on): made again from the password
  # each time, so that it always matches.
  printf 'postgres://%s:%s@postgres:5432/%s' "$role" "$(cat "$dir/${role}_db_password")" "$role" > "$dir/${role}_database_url"
done
keep_or_make minio_root_password
keep_or_make media_s3_secret_key

chown node:node "$dir"/*
chmod 0600 "$dir"/*
chmod 0644 "$dir/access_token_public_key.pem" "$dir/vapid_public_key"
chown 999:999 "$dir/postgres_password" "$dir"/shutter_*_db_password
chmod 0755 "$dir"
