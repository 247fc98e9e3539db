# Multi-stage build: a static binary on distroless, running as non-root.
FROM golang:1.26-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libcap2-bin && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/syslogd ./cmd/syslogd \
 && setcap cap_net_bind_service=+ep /out/syslogd \
 && mkdir -p /out/var/log/remote /out/var/lib/syslogd

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/syslogd /usr/bin/syslogd
# Writable by the non-root user; a named volume mounted here inherits it.
COPY --from=build --chown=nonroot:nonroot /out/var/log/remote /var/log/remote
COPY --from=build --chown=nonroot:nonroot /out/var/lib/syslogd /var/lib/syslogd
COPY configs/syslogd.yaml /etc/syslogd/syslogd.yaml
# The file capability lets the non-root user bind 514 (as CoreDNS does);
# COPY keeps it. Stats stay on loopback
# unless stats.address is overridden (SYSLOGD_STATS_ADDRESS=0.0.0.0:9514).
USER nonroot:nonroot
EXPOSE 514/udp 514/tcp 6514/tcp 9514/tcp
VOLUME ["/var/log/remote", "/var/lib/syslogd"]
ENTRYPOINT ["/usr/bin/syslogd"]
CMD ["--config", "/etc/syslogd/syslogd.yaml"]
