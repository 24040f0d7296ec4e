# The audited dashstream-v7 websocket-server (fixtures/dashstream-v7/cmd/websocket-server):
# the bad lag-monitor design the soak must catch (a goroutine and channel send per message,
# blocking watermark calls, lag series of revoked partitions never deleted).
# Built FROM scratch from a static binary; the build context is a directory holding it, e.g.
#   CGO_ENABLED=0 go build -C fixtures/dashstream-v7 -trimpath \
#       -o "$PWD/bin/dashstream-v7-websocket-server" ./cmd/websocket-server
#   docker build -f deploy/docker/dashstream-v7-websocket.Dockerfile -t streamaudit/dashstream-v7:dev bin
FROM scratch
COPY dashstream-v7-websocket-server /websocket-server
ENV METRICS_ADDR=0.0.0.0:9190
EXPOSE 9190
USER 65534:65534
ENTRYPOINT ["/websocket-server"]
