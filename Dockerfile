# syntax=docker/dockerfile:1
# One image for every process of the monorepo (the command picks which), running the compiled
# bundles (`npm run build`), not TypeScript:
#   docker build -t shutter .
#   docker run shutter node gateway/dist/server.js
# Stages: every dependency to build with, the build, the production dependencies alone, and the
# runtime with only those and the bundles, as the non-root `node` user.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
# Only the manifests, so that the install layers are cached until a dependency changes.
COPY package.json package-lock.json ./
COPY packages/auth/package.json packages/auth/
COPY packages/config/package.json packages/config/
COPY packages/contracts/package.json packages/contracts/
COPY packages/db/package.json packages/db/
COPY packages/events/package.json packages/events/
COPY packages/local-infra/package.json packages/local-infra/
COPY packages/service/package.json packages/service/
COPY packages/testing/package.json packages/testing/
COPY subgraphs/users/package.json subgraphs/users/
COPY subgraphs/media/package.json subgraphs/media/
COPY subgraphs/social-graph/package.json subgraphs/social-graph/
COPY subgraphs/feed/package.json subgraphs/feed/
COPY gateway/package.json gateway/

FROM manifests AS build
ENV CI=true
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM manifests AS production-deps
ENV CI=true
# The runtime workspaces only: npm start's embedded Postgres, the test and build tools stay out.
RUN npm ci --omit=dev --no-audit --no-fund \
      --workspace subgraphs/users --workspace subgraphs/media --workspace subgraphs/social-graph \
      --workspace subgraphs/feed --workspace gateway \
  && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production
COPY --from=production-deps /app ./
COPY --from=build /app/schema/supergraph.graphql schema/
COPY --from=build /app/gateway/dist gateway/dist
COPY --from=build /app/packages/local-infra/dist packages/local-infra/dist
COPY --from=build /app/subgraphs/users/dist subgraphs/users/dist
COPY --from=build /app/subgraphs/users/migrations subgraphs/users/migrations
COPY --from=build /app/subgraphs/media/dist subgraphs/media/dist
COPY --from=build /app/subgraphs/media/migrations subgraphs/media/migrations
COPY --from=build /app/subgraphs/social-graph/dist subgraphs/social-graph/dist
COPY --from=build /app/subgraphs/social-graph/migrations subgraphs/social-graph/migrations
COPY --from=build /app/subgraphs/feed/dist subgraphs/feed/dist
COPY --from=build /app/subgraphs/feed/migrations subgraphs/feed/migrations
# Processes listen on all interfaces inside a container; what is published is the compose file's choice.
ENV GATEWAY_HOST=0.0.0.0 USERS_HOST=0.0.0.0 SOCIAL_GRAPH_HOST=0.0.0.0 MEDIA_HOST=0.0.0.0 FEED_HOST=0.0.0.0
# A named volume copies this folder's owner on first mount: the media service can write there.
RUN mkdir -p /data/media && chown node /data/media
USER node
EXPOSE 4000
CMD ["node", "gateway/dist/server.js"]
