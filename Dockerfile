# syntax=docker/dockerfile:1
#
# villagebot's image: a static binary built with the Go toolchain, run as a
# non-root user on distroless (no shell, no package manager).
#
#   docker build -t villagebot .
#   docker run --rm villagebot help
#
# See deploy/README.md for running it with PostgreSQL and Redis.

# ---- build ------------------------------------------------------------------
# Built on the builder's own platform and cross-compiled for the target's
# (docker buildx --platform linux/amd64,linux/arm64 works without emulation).
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS TARGETARCH
WORKDIR /src
# Modules first: a change to the code does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# CGO off: a static binary that needs no libc. -trimpath: no build paths in
# it. timetzdata: the zone database inside the binary, so TIMEZONE works
# whatever the base image carries.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \
    go build -trimpath -tags timetzdata -ldflags='-s -w' -o /out/villagebot ./cmd/villagebot

# ---- a CJK font for /qr cards ------------------------------------------------
# QR cards print Chinese product and village names with the first CJK font
# found at the usual Debian paths (internal/qrcard); without one they carry
# the other names only.
FROM --platform=$BUILDPLATFORM debian:bookworm-slim AS fonts
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-droid-fallback \
 && rm -rf /var/lib/apt/lists/*

# ---- a probe for health checks ----------------------------------------------
# distroless has no shell and no curl; busybox's musl build is one static
# binary that acts as wget when called so.
FROM busybox:1.37-musl AS probe

# ---- runtime ----------------------------------------------------------------
# distroless/static: CA certificates (for api.telegram.org), tzdata,
# /etc/passwd with the nonroot user (65532); nothing else.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/villagebot /usr/local/bin/villagebot
COPY --from=fonts /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf
COPY --from=probe /bin/wget /usr/local/bin/wget
# In a container the HTTP listener (webhook, /healthz, /readyz, /metrics)
# must listen beyond loopback to be reached or probed.
ENV LISTEN_ADDR=0.0.0.0:8080
EXPOSE 8080
# nonroot, by number, so that a runtime can tell it is not root.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/villagebot"]
CMD ["serve"]
