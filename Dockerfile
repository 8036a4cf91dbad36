# syntax=docker/dockerfile:1
# alert-agent operator image.
#
#   docker build -t alert-agent:0.1.0 .
#
# Runs as uid 65532 with a read-only root filesystem: nothing is written outside /tmp (HOME=/tmp),
# which the Deployment mounts as an emptyDir.

# ---- build: compile TypeScript to dist/ ----
FROM node:22-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies + dist/ ----
FROM node:22-slim AS runtime
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force \
 && rm -rf /root/.npm /tmp/* /tmp/.[!.]*
COPY --from=build /src/dist ./dist
COPY servers_config.json ./servers_config.json
# The only writable place at run time; stack traces point into src/*.ts. The V8 flags are the chart's
# defaults (its heapLimitMiB of 128 for a 256Mi limit; deploy/ the same), so the image run on its own holds
# what the chart does: 124 MB idle instead of ~158, and a peak of ~151 MB instead of ~270-310 MB with
# 10 000 unfinished incidents (bench/README.md, memory). Set NODE_OPTIONS to change them with the limit.
ENV HOME=/tmp \
    NODE_OPTIONS="--enable-source-maps --max-old-space-size=128 --max-semi-space-size=2 --v8-pool-size=1"
USER 65532:65532
EXPOSE 10000 9090
ENTRYPOINT ["node", "dist/main.js"]
