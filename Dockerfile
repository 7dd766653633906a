# One multi-stage build, one image per component:
#   docker build --target destination -t trellis/destination:0.1.0 .
#   docker build --target autoscaler  -t trellis/autoscaler:0.1.0 .
#   docker build --target identity    -t trellis/identity:0.1.0 .
#   docker build --target proxy       -t trellis/proxy:0.1.0 .
#   docker build --target injector    -t trellis/injector:0.1.0 .
#   docker build --target demo        -t trellis/demo:0.1.0 .
FROM node:24-slim AS build
WORKDIR /src
ENV NX_NO_CLOUD=true NX_DAEMON=false
COPY . .
RUN npm ci --no-audit --no-fund \
 && npx nx run-many -t build -p destination autoscaler identity-service proxy injector local \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:24-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
USER 10001:10001

FROM runtime AS destination
EXPOSE 8086 9996
ENTRYPOINT ["node", "dist/apps/destination/main.js"]

FROM runtime AS autoscaler
EXPOSE 9997
ENTRYPOINT ["node", "dist/apps/autoscaler/main.js"]

FROM runtime AS identity
EXPOSE 8080 9990
ENTRYPOINT ["node", "dist/apps/identity/main.js"]

FROM runtime AS injector
EXPOSE 8443
ENTRYPOINT ["node", "dist/apps/injector/main.js"]

FROM runtime AS proxy
EXPOSE 4140 8012 8013 8022 9090 9091
# V8 settings that keep the proxy near 80 MB of RSS under load (docs/benchmarks/proxy-rss.md); NODE_OPTIONS refuses them.
ENTRYPOINT ["node", "--max-semi-space-size=2", "--heap-growing-percent=10", "dist/apps/proxy/main.js"]

FROM runtime AS demo
EXPOSE 8080
ENTRYPOINT ["node", "dist/tools/local/demo-app.js"]
