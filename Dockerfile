# syntax=docker/dockerfile:1
# One image for every role (`ems start`, `ems api`, `ems runtime`, `ems migrate`,
# `ems simulate`): compose.yaml picks the command. TypeScript runs from source
# through tsx (a production dependency, registered by bin/ems.mjs), so there is
# no compile step; only the dashboard is built, in its own stage.

ARG NODE_IMAGE=node:20-bookworm-slim

# All dependencies, for building the dashboard.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# The dashboard: vite build → ui/dist.
FROM deps AS ui
COPY . .
RUN npm run build:ui

# Production dependencies only (no vite, vitest, deno, playwright).
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    EMS_DATA_DIR=/data
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY cli ./cli
COPY api ./api
COPY runtime ./runtime
COPY actors ./actors
COPY core ./core
COPY db ./db
COPY ops ./ops
COPY simulator ./simulator
COPY --from=ui /app/ui/dist ./ui/dist
# The embedded database and generated secrets of `ems start` live in /data (a volume);
# the image runs as the unprivileged `node` user that the official image provides.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
# /readyz: 200 when the database (and Redis, when configured) answer, 503 while draining.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Node is PID 1 and handles SIGTERM itself (drain, then exit 0); compose gives it stop_grace_period.
CMD ["node", "bin/ems.mjs", "start"]
