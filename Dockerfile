# syntax=docker/dockerfile:1
# burnrate-collector image: builds @burnrate/core and @burnrate/collector with pnpm, then ships the
# collector with its production dependencies only.
#
#   docker build -t burnrate-collector .
#   docker run -p 4318:4318 -p 4317:4317 -e BURNRATE_CLICKHOUSE_URL=http://clickhouse:8123 burnrate-collector
#
# Without BURNRATE_CLICKHOUSE_URL the collector runs the embedded ClickHouse engine and keeps its data
# in $BURNRATE_DATA_DIR (a volume).

ARG NODE_IMAGE=node:24-slim
ARG PNPM_VERSION=10.34.9

FROM ${NODE_IMAGE} AS build
ARG PNPM_VERSION
RUN npm install -g pnpm@${PNPM_VERSION} --no-audit --no-fund --loglevel=error
WORKDIR /src
# Manifests first, so the dependency layer is cached until a manifest or the lockfile changes.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY packages/core/package.json packages/core/
COPY collector/package.json collector/
RUN pnpm install --frozen-lockfile --filter @burnrate/collector... --filter burnrate
COPY tsconfig.base.json tsup.base.ts ./
COPY packages/core packages/core
COPY collector collector
RUN pnpm --filter @burnrate/core build \
 && pnpm --filter @burnrate/collector build \
 && pnpm --filter @burnrate/collector deploy --legacy --prod /out

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    BURNRATE_DATA_DIR=/var/lib/burnrate \
    BURNRATE_PORT=4318
WORKDIR /app
COPY --from=build /out /app
RUN chmod +x /app/dist/main.js \
 && ln -s /app/dist/main.js /usr/local/bin/burnrate-collector \
 && ln -s /app/dist/cli/index.js /usr/local/bin/burnrate \
 && mkdir -p /var/lib/burnrate && chown node:node /var/lib/burnrate
USER node
VOLUME ["/var/lib/burnrate"]
# OTLP/HTTP + REST API, OTLP/gRPC
EXPOSE 4318 4317
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.BURNRATE_PORT||4318)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["burnrate-collector"]
