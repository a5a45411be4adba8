# The producer image: src/producer/main.ts bundled by esbuild (npm packages stay external), production
# dependencies only, run by node itself as PID 1 so SIGTERM reaches the producer's shutdown handler.
# Build: docker build -t tradestream-producer . (Tilt does this; see Tiltfile)
# No `# syntax=` line: it would pull an unpinned frontend image; Docker's built-in one reads this file.
# Node 24 LTS (maintenance LTS until 2028-04-30), an exact release. The code still targets Node 20 (esbuild
# --target=node20, package.json engines), which the development machines run. The tag still follows the
# image's Debian rebuilds: append @sha256:<digest> once a digest has been checked, to freeze it.
ARG NODE_IMAGE=node:24.19.0-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npx esbuild src/producer/main.ts --bundle --platform=node --format=esm --target=node20 \
      --packages=external --outfile=dist/producer.js

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The `node` user of the official image, by number so Kubernetes can check runAsNonRoot.
USER 1000:1000
EXPOSE 9464
ENTRYPOINT ["node", "dist/producer.js"]
