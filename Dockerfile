# syntax=docker/dockerfile:1
# Two stages: `build` installs everything and compiles src/ → dist/ (npm ci runs the prepare
# script), then drops the devDependencies; the runtime image gets only dist/, the production
# node_modules, the migrations and the CLI. Node 20 matches package.json engines.node.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY packages/client/package.json packages/client/tsconfig.json ./packages/client/
COPY packages/client/src ./packages/client/src
COPY scripts ./scripts
COPY src ./src
# No .git in the build context: the commit reported by gatehouse_build_info comes from here
# (docker build --build-arg GIT_COMMIT=$(git rev-parse HEAD) .).
ARG GIT_COMMIT=unknown
ENV GIT_COMMIT=$GIT_COMMIT
RUN npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/@gatehouse

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PORT=8000
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json config.yml ./
COPY migrations ./migrations
COPY bin ./bin
# `gatehouse <command>` on PATH (docker compose exec gatehouse gatehouse clients list); it reads
# config.yml and .env from /app like the server. data/ and logs/ are the writable volumes.
RUN ln -s /app/bin/gatehouse.js /usr/local/bin/gatehouse \
 && mkdir -p /app/data /app/logs \
 && chown node:node /app/data /app/logs
USER node
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
