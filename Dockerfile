# syntax=docker/dockerfile:1

# Production dependencies only. Compilers are here in case a native module (argon2,
# better-sqlite3) has no prebuilt binary for this platform and must be built from source.
# Node 24: the current LTS (Node 20 reached its end of life in April 2026).
FROM node:24-bookworm-slim AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# Compiles the TypeScript with the dev dependencies (typescript), reusing the native builds.
FROM deps AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY web ./web
# The operator tools on PATH: `docker compose exec app parley rebuild`. A wrapper rather than a link,
# so it works whatever the file modes in the build context.
RUN printf '#!/bin/sh\nexec node /app/bin/parley.js "$@"\n' > /usr/local/bin/parley && chmod 755 /usr/local/bin/parley
# DATA_DIR belongs to the unprivileged user; a named volume mounted there starts with this owner.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node is PID 1 and handles SIGTERM itself (graceful shutdown in src/main.ts).
CMD ["node", "dist/main.js"]
