# One image for every service of the monorepo; the command picks the service.
#   docker build -t shutter .
#   docker run shutter node --import tsx gateway/src/server.ts
FROM node:24-bookworm-slim AS deps
WORKDIR /app
ENV CI=true
COPY package.json package-lock.json ./
COPY packages/config/package.json packages/config/
COPY packages/db/package.json packages/db/
COPY packages/auth/package.json packages/auth/
COPY packages/service/package.json packages/service/
COPY packages/testing/package.json packages/testing/
COPY packages/local-infra/package.json packages/local-infra/
COPY packages/events/package.json packages/events/
COPY subgraphs/users/package.json subgraphs/users/
COPY subgraphs/social-graph/package.json subgraphs/social-graph/
COPY subgraphs/media/package.json subgraphs/media/
COPY subgraphs/feed/package.json subgraphs/feed/
COPY gateway/package.json gateway/
RUN npm ci --no-audit --no-fund

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY . .
# Services listen on all interfaces inside a container; only the gateway's port is published.
ENV GATEWAY_HOST=0.0.0.0 USERS_HOST=0.0.0.0 SOCIAL_GRAPH_HOST=0.0.0.0 MEDIA_HOST=0.0.0.0 FEED_HOST=0.0.0.0
# A named volume copies this folder's owner on first mount: the media service can write there.
RUN mkdir -p /data/media && chown node /data/media
USER node
EXPOSE 4000
CMD ["node", "--import", "tsx", "gateway/src/server.ts"]
