#!/bin/sh
# The compose stack's one-shot `buckets` job (the minio/mc image): the media bucket, and a MinIO
# user for the media service that may use that bucket and nothing else (the root credentials stay
# with MinIO and this job). Safe to run again: every step leaves what already exists as it is.
set -eu
secrets=/run/secrets/shutter
bucket="${S3_BUCKET:?}"
user="${S3_ACCESS_KEY_ID:?}"

mc alias set root http://minio:9000 "$MINIO_ROOT_USER" "$(cat "$secrets/minio_root_password")" >/dev/null
mc mb --ignore-existing "root/$bucket"

# Objects in, out and away, and listing the bucket (the media service never lists, but an operator's
# `mc ls` with this key should work).
cat > /tmp/media-policy.json <<JSON
{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:ListBucket"], "Resource": ["arn:aws:s3:::$bucket"] },
    { "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], "Resource": ["arn:aws:s3:::$bucket/*"] }
  ]
}
JSON
mc admin policy create root shutter-media /tmp/media-policy.json
# `user add` for an existing user sets the same secret again.
mc admin user add root "$user" "$(cat "$secrets/media_s3_secret_key")"
# Attaching a policy that is already attached is refused: that refusal is fine, and the check
# below proves the end state either way.
mc admin policy attach root shutter-media --user "$user" 2>/dev/null || true

# The media service's own key can write, read and delete in its bucket.
mc alias set media http://minio:9000 "$user" "$(cat "$secrets/media_s3_secret_key")" >/dev/null
echo "written by the buckets job" | mc pipe "media/$bucket/.buckets-job-check" >/dev/null
mc cat "media/$bucket/.buckets-job-check" >/dev/null
mc rm "media/$bucket/.buckets-job-check" >/dev/null
echo "buckets: $bucket is ready for $user"
