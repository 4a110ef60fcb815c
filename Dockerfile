# kubeposture operator image. Node.js 24, the same release the tests run on (the project's
# npm `node` devDependency), production dependencies only, non-root numeric user, nothing
# run at start but node. Build with your own tooling: docker build -t kubeposture:TAG .
# `make sbom` lists the packages it ships (CycloneDX); attach that to the image you push.
# A distroless runtime (gcr.io/distroless/nodejs24-debian12) fits too: pin it by digest in
# your pipeline; this file pins by exact version, which is what can be checked offline.
FROM node:24.21.0-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the image already has Node 24; npm's `node` devDependency is for dev machines.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# Then only what runs in a Pod: no devDependencies, and no optionalDependencies, which hold
# @kubernetes/client-node and its tree (most of the packages and nine tenths of the size:
# README, "What the image ships"). kubeposture loads it only for kubeconfigs with exec
# plugins, auth providers or several files; in a Pod it reads its ServiceAccount without it.
RUN node_modules/.bin/tsc -p tsconfig.build.json \
 && npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund

FROM node:24.21.0-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# 65532: the conventional "nonroot" uid; it owns nothing in the image, so the root
# filesystem is effectively read-only to it (the Deployment also mounts it read-only).
USER 65532:65532
ENTRYPOINT ["node", "/app/dist/cli/main.js", "run"]
