# streamsvc (cmd/streamsvc). Built FROM scratch from a static binary (CGO_ENABLED=0) in the
# build context: nothing is pulled.
#   make images      (context: bin/, which holds streamsvc)
# The image has no system CA pool: with TLS, mount the CA and set KAFKA_SSL_CA_LOCATION.
# Configuration is the KAFKA_* / STREAMSVC_* environment of docs/CONFIGURATION.md.
FROM scratch
COPY streamsvc /streamsvc
USER 65534:65534
ENV STREAMSVC_HTTP_ADDR=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/streamsvc"]
CMD ["serve"]
