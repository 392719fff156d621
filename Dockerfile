# One image for all four services; the command picks the service:
#   docker run sluice services/edge/dist/main.js      (the default)
#   docker run sluice services/policy/dist/main.js
#   docker run sluice services/router/dist/main.js
#   docker run sluice services/accounting/dist/main.js

FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY proto proto
COPY scripts scripts
COPY packages packages
COPY services services
RUN npm ci --no-audit --no-fund \
 && npx tsc -b \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf packages/*/src services/*/src packages/testing packages/launcher

FROM node:20.20.2-bookworm-slim
# tini is PID 1: it forwards SIGTERM to node so the graceful drain runs, and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    SLUICE_EDGE_HOST=0.0.0.0 \
    SLUICE_GRPC_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/packages packages
COPY --from=build /app/services services
USER node
EXPOSE 4000 4010 4011 4020 4021 4030 4031
ENTRYPOINT ["/usr/bin/tini", "--", "node"]
CMD ["services/edge/dist/main.js"]
