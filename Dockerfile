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
# The only writable place at run time; stack traces point into src/*.ts.
ENV HOME=/tmp \
    NODE_OPTIONS=--enable-source-maps
USER 65532:65532
EXPOSE 10000 9090
ENTRYPOINT ["node", "dist/main.js"]
