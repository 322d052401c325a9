# syntax=docker/dockerfile:1
# Two images from one build, both running compiled JavaScript on Node 24 as the non-root `node` user:
#   docker build -t shutter .                  every backend process (the command picks which):
#                                              node gateway/dist/server.js, node subgraphs/<name>/dist/{server,worker,migrate}.js
#   docker build -t shutter-web --target web .  the web origin: the built client and its server
# Two images, not one, because the web server needs none of the backend's node_modules (sharp,
# argon2, the Apollo gateway: most of the backend image) and the backend none of the client; each
# is rolled out and scaled on its own, and a change to one does not rebuild or re-pull the other.
ARG NODE_IMAGE=node:24-bookworm-slim

# Every workspace's package.json and the lockfile, found rather than listed, so that a workspace
# added to package.json (web/, and any later one) is installed without editing this file. Only this
# stage sees the whole context; the install layers below depend on the manifests' contents alone
# and stay cached until a dependency changes.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
# patches/ too: npm ci's postinstall applies them (patch-package), the postgres driver's fix for a
# crash on a Postgres restart (patches/postgres+3.4.9.patch). Without them the image runs the bug.
RUN mkdir /manifests \
  && cp package-lock.json /manifests/ \
  && cp -r patches /manifests/ \
  && find . -name package.json -not -path '*/node_modules/*' -exec cp --parents {} /manifests/ \;

# Every dependency, dev included, and the build: service bundles (scripts/build.mjs through turbo)
# and, where the web workspace exists, the client (vite build).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV CI=true TURBO_TELEMETRY_DISABLED=1
COPY --from=manifests /manifests/ ./
# npm's download cache lives in a BuildKit cache mount, outside every layer: a changed lockfile
# downloads only what changed, and the layer holds node_modules alone.
RUN --mount=type=cache,target=/root/.npm,sharing=locked npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# The web server as one self-contained bundle (see docker/bundle-web-server.mjs). Only the `web`
# target builds this stage.
FROM build AS web-build
RUN node docker/bundle-web-server.mjs web/server-dist/main.js

# The production dependencies of the backend workspaces only: npm start's embedded Postgres, the
# test, lint and build tools, and the web client's packages stay out. npm installs a workspace's own
# dependencies whenever its folder is there, --omit=dev or not: the test helpers' (vitest) and
# local-infra's (embedded Postgres, 60 MB) would come in with them, so their manifests go first.
# Nothing at run time imports either (make-secrets.js is a bundle that needs only jose).
FROM ${NODE_IMAGE} AS production-deps
WORKDIR /app
ENV CI=true
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked rm -r packages/testing packages/local-infra \
  && npm ci --omit=dev --no-audit --no-fund \
      --workspace subgraphs/users --workspace subgraphs/media --workspace subgraphs/social-graph \
      --workspace subgraphs/feed --workspace gateway

# The web origin: Node, the server bundle and the built client; no node_modules.
FROM ${NODE_IMAGE} AS web
WORKDIR /app
ENV NODE_ENV=production WEB_HOST=0.0.0.0 WEB_PORT=3000 WEB_DIST_DIR=/app/web/dist
COPY --from=web-build /app/web/dist web/dist
COPY --from=web-build /app/web/server-dist web/server
USER node
EXPOSE 3000
CMD ["node", "web/server/main.js"]

# The backend (the default target, so last): production node_modules, then the bundles, the
# supergraph and each service's committed migrations. The bundles change with every code change,
# the dependencies rarely, so they come first.
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production
COPY --from=production-deps /app ./
COPY --from=build /app/schema/supergraph.graphql schema/
COPY --from=build /app/packages/local-infra/dist packages/local-infra/dist
COPY --from=build /app/subgraphs/users/migrations subgraphs/users/migrations
COPY --from=build /app/subgraphs/media/migrations subgraphs/media/migrations
COPY --from=build /app/subgraphs/social-graph/migrations subgraphs/social-graph/migrations
COPY --from=build /app/subgraphs/feed/migrations subgraphs/feed/migrations
COPY --from=build /app/gateway/dist gateway/dist
COPY --from=build /app/subgraphs/users/dist subgraphs/users/dist
COPY --from=build /app/subgraphs/media/dist subgraphs/media/dist
COPY --from=build /app/subgraphs/social-graph/dist subgraphs/social-graph/dist
COPY --from=build /app/subgraphs/feed/dist subgraphs/feed/dist
# Processes listen on all interfaces inside a container (what is reachable is the compose file's
# and the NetworkPolicies' choice); a worker's health listener too, for its probes.
ENV GATEWAY_HOST=0.0.0.0 USERS_HOST=0.0.0.0 SOCIAL_GRAPH_HOST=0.0.0.0 MEDIA_HOST=0.0.0.0 FEED_HOST=0.0.0.0 \
    WORKER_HEALTH_HOST=0.0.0.0
# A named volume copies this folder's owner on first mount: media with MEDIA_STORAGE=local can write there.
RUN mkdir -p /data/media && chown node /data/media
USER node
EXPOSE 4000
CMD ["node", "gateway/dist/server.js"]
