# Ripple: stage 1 compiles libsolv to WebAssembly with resolver/build.sh (the same script `npm test`
# and CI run); stage 2 runs the service. Configuration is by environment (see README).
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY resolver/package.json resolver/
RUN npm ci --no-audit --no-fund
COPY resolver resolver
RUN sh resolver/build.sh

FROM node:20-bookworm-slim
# xz/zstd decompress repository metadata; rpm and createrepo-c build the demo's fixture repositories.
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends xz-utils zstd rpm createrepo-c \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production RIPPLE_HTTP_HOST=0.0.0.0 RIPPLE_DATA_DIR=/var/lib/ripple
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/resolver resolver
COPY package.json package-lock.json tsconfig.json ./
COPY bin bin
COPY src src
COPY web web
COPY sql sql
COPY policies policies
COPY test/fixtures test/fixtures
VOLUME /var/lib/ripple
EXPOSE 8080
ENTRYPOINT ["node", "bin/ripple.js"]
CMD ["serve"]
