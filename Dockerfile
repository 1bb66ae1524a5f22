# FerryDB container image.
#
# Stage 1 compiles the TypeScript sources and the Studio; stage 2 holds only production
# dependencies and the compiled output, runs as the unprivileged `node` user and keeps its
# data in a volume at the root path.
#
# Inside the container every port listens on all interfaces, so a compose file written for
# HarperDB (HDB_ADMIN_USERNAME, CLUSTERING, NODE_NAME, ... ) needs nothing extra.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Install scripts are skipped: `prepare` would build the Studio before its sources are copied,
# and lmdb/msgpackr load their prebuilt binaries from optional packages at run time.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build && npm run build:studio --if-present && mkdir -p studio/dist

FROM ${NODE_IMAGE} AS runtime
# Ports keep their defaults (operations 9925, HTTP 9926, MQTT 1883/8883); only the hosts, the root path and the
# clustering port are set here, so a compose file's own values apply unchanged. The root path is
# set by its lowest-priority name (HDB_ROOT), so a compose file's ROOTPATH or HDB_ROOT wins.
ENV NODE_ENV=production \
    HDB_ROOT=/home/node/ferrydb \
    OPERATIONSAPI_NETWORK_HOST=0.0.0.0 \
    HTTP_HOST=0.0.0.0 \
    MQTT_NETWORK_HOST=0.0.0.0 \
    CLUSTERING_HOST=0.0.0.0 \
    CLUSTERING_PORT=62344 \
    LOG_TO_STDSTREAMS=true
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/studio/dist ./studio/dist
# /opt/harperdb/hdb is HarperDB's root path in its image: a compose file that mounts a named
# volume there must find it writable by the node user too.
RUN mkdir -p /home/node/ferrydb /opt/harperdb/hdb && chown node:node /home/node/ferrydb /opt/harperdb/hdb
USER node
VOLUME /home/node/ferrydb
EXPOSE 9925 9926 1883 8883 62344
# GET /health needs no credentials. The port is read the way the node reads it: a plain port
# or host:port in OPERATIONSAPI_NETWORK_PORT or its HarperDB name SERVER_PORT.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const v=process.env.OPERATIONSAPI_NETWORK_PORT||process.env.SERVER_PORT||'9925';fetch('http://127.0.0.1:'+v.split(':').pop()+'/health').then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"]
CMD ["node", "dist/src/main.js"]
