# syntax=docker/dockerfile:1
# One image for the four services; tini -- node is the entrypoint and the argument picks the service:
#   docker run sluice services/edge/dist/main.js         (the default)
#   docker run sluice services/policy/dist/main.js
#   docker run sluice services/router/dist/main.js
#   docker run sluice services/accounting/dist/main.js
#   docker run sluice packages/edge-with-router/dist/main.js   (the edge and the router in one process)
# The base image is pinned to a patch release; pin it by digest as well in a release pipeline:
#   docker build --build-arg NODE_IMAGE=node:20.20.2-bookworm-slim@sha256:<digest> -t sluice .
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY packages packages
COPY services services
# No install scripts: the root "prepare" script would compile twice, and no dependency needs one to run.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts --no-audit --no-fund \
 && npx tsc -b \
 && npm run --silent build -w @sluice/console
# Keep only what the four services run: the launcher and the test helpers leave (PGlite with them), then
# every dev dependency, the sources and the build info. The console stays as its built files (the edge
# serves them at /ui); Preact, uPlot and Vite are dev dependencies, bundled into those files.
RUN --mount=type=cache,target=/root/.npm \
    node -e "const fs = require('node:fs'); const manifest = JSON.parse(fs.readFileSync('package.json', 'utf8')); manifest.workspaces = ['packages/common', 'packages/console', 'packages/edge-with-router', 'packages/pricing', 'packages/proto', 'services/*']; fs.writeFileSync('package.json', JSON.stringify(manifest, null, 2));" \
 && rm -rf packages/launcher packages/testing \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf packages/*/src services/*/src packages/*/tsconfig.json services/*/tsconfig.json \
           packages/console/index.html packages/console/vite.config.ts \
           packages/*/dist/.tsbuildinfo services/*/dist/.tsbuildinfo \
 && find node_modules -depth -type d -empty -delete

FROM ${NODE_IMAGE}
LABEL org.opencontainers.image.title="sluice" \
      org.opencontainers.image.description="Sluice LLM gateway: edge, policy, router and accounting services" \
      org.opencontainers.image.licenses="Apache-2.0"
# tini is PID 1: it forwards SIGTERM to node, so the graceful drain runs, and reaps zombies. npm, npx,
# corepack and yarn are not needed at run time; removing them removes what could be exploited in them.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
           /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*
ENV NODE_ENV=production \
    SLUICE_EDGE_HOST=0.0.0.0 \
    SLUICE_GRPC_HOST=0.0.0.0
WORKDIR /app
# Owned by root and not writable by the service: the process cannot change its own code.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/packages packages
COPY --from=build /app/services services
# The image's node user, by number so that Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 4000 4001 4010 4011 4020 4021 4030 4031
# The V8 flags of packages/common/src/node-flags.ts (they keep each service under 150 MB resident; one of
# them is not accepted in NODE_OPTIONS).
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--max-semi-space-size=8", "--heap-growing-percent=20", "--liftoff-only"]
CMD ["services/edge/dist/main.js"]
