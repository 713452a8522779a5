# syntax=docker/dockerfile:1
#
# PainChain in a container: the one `painchain` binary (server, connectors,
# CLI) with the web UI embedded (ui/dist is committed, so no Node stage).
#
#   docker build -t painchain .
#   docker run -d -p 8000:8000 -v painchain-data:/data painchain
#
# Runs as a non-root user (65532) on distroless: no shell, no package
# manager. Data (SQLite, the generated secret key) lives in the /data volume;
# configure with PAINCHAIN_* variables or a file passed as `--config`
# (e.g. `-v ./painchain.yaml:/etc/painchain/painchain.yaml:ro` and
# `PAINCHAIN_CONFIG=/etc/painchain/painchain.yaml`). See README "Deploy".

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-bookworm AS build
WORKDIR /src
COPY . .
# Cache mounts keep the registry and target dir between builds (BuildKit).
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p painchain \
    && install -D -m 0755 target/release/painchain /out/painchain \
    && install -d -m 0750 /out/data

# Debian 12 with glibc and libgcc, as the build stage; `nonroot` = uid 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/painchain /usr/local/bin/painchain
COPY --from=build --chown=65532:65532 /out/data /data
ENV PAINCHAIN_BIND=0.0.0.0:8000 \
    PAINCHAIN_DATA_DIR=/data
USER 65532:65532
VOLUME ["/data"]
EXPOSE 8000
# No curl in the image: the binary checks its own /health (port from PAINCHAIN_BIND).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/painchain", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/painchain"]
CMD ["serve"]
