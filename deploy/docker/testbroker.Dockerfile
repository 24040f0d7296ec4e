# Kafka-protocol test broker (cmd/testbroker on franz-go's kfake). Built FROM scratch from a
# static binary (CGO_ENABLED=0) in the build context: nothing is pulled.
#   make images      (context: bin/, which holds testbroker)
# In a container the broker must bind a wildcard and advertise a name clients can reach:
#   docker run -p 127.0.0.1:9092:9092 -p 127.0.0.1:9644:9644 streamaudit/testbroker:dev
#   docker run --network N --network-alias broker IMAGE -listen 0.0.0.0 -advertise broker \
#     -ports 9092 -topic dashstream-quality:6 -control 0.0.0.0:9644
# kfake keeps data in RAM: keep -retention-bytes, and set GOMEMLIMIT to the memory limit.
# To survive a restart, persist to a mounted directory writable by the container's user
# (65534 here, or run with --user UID:GID of the directory's owner):
#   docker run --user "$(id -u):$(id -g)" -v "$PWD/broker-data:/data" -e TESTBROKER_DATA_DIR=/data IMAGE ...
FROM scratch
COPY testbroker /testbroker
USER 65534:65534
EXPOSE 9092 9644
ENTRYPOINT ["/testbroker"]
CMD ["-listen", "0.0.0.0", "-advertise", "127.0.0.1", "-ports", "9092", "-topic", "dashstream-quality:6", "-topic", "dashstream-quality-dlq:1", "-control", "0.0.0.0:9644"]
