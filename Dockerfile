# kubeposture operator image: Node.js 24 (the same major the tests run on),
# production dependencies only, runs as a non-root user with no shell needs.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the image already has Node 24; npm's `node` devDependency is for dev machines.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN node_modules/.bin/tsc -p tsconfig.build.json && npm prune --omit=dev --ignore-scripts

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# 65532: the conventional "nonroot" uid; no write access to /app.
USER 65532:65532
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
