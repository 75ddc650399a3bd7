# syntax=docker/dockerfile:1
# sluice's scratch image: the binary, the glibc files it loads, a non-root user,
# an empty /tmp and the default configuration; nothing else. GENERATED from
# build/image/files.txt by `npm run image` (tests/unit/image-files.test.ts fails
# when they drift). The same image without a docker daemon: `npm run image`
# (docs/install.md). For docker, stage the glibc files first:
#   npm run release && npm run image -- --stage
#   docker buildx build --platform linux/amd64,linux/arm64 \
#     --build-arg REVISION=$(git rev-parse HEAD) -t sluice:0.1.0 .
ARG TARGETARCH

FROM scratch AS files-amd64
COPY --chmod=0755 dist/sluice-0.1.0-linux-x64/sluice /usr/bin/sluice
COPY --chmod=0755 dist/image/sysroot-amd64/lib64/ld-linux-x86-64.so.2 /lib64/ld-linux-x86-64.so.2
COPY --chmod=0755 dist/image/sysroot-amd64/lib/x86_64-linux-gnu/libc.so.6 /lib/x86_64-linux-gnu/libc.so.6
COPY --chmod=0644 dist/image/sysroot-amd64/lib/x86_64-linux-gnu/libpthread.so.0 /lib/x86_64-linux-gnu/libpthread.so.0
COPY --chmod=0644 dist/image/sysroot-amd64/lib/x86_64-linux-gnu/libdl.so.2 /lib/x86_64-linux-gnu/libdl.so.2
COPY --chmod=0644 dist/image/sysroot-amd64/lib/x86_64-linux-gnu/libm.so.6 /lib/x86_64-linux-gnu/libm.so.6

FROM scratch AS files-arm64
COPY --chmod=0755 dist/sluice-0.1.0-linux-arm64/sluice /usr/bin/sluice
COPY --chmod=0755 dist/image/sysroot-arm64/lib/ld-linux-aarch64.so.1 /lib/ld-linux-aarch64.so.1
COPY --chmod=0755 dist/image/sysroot-arm64/lib/aarch64-linux-gnu/libc.so.6 /lib/aarch64-linux-gnu/libc.so.6
COPY --chmod=0644 dist/image/sysroot-arm64/lib/aarch64-linux-gnu/libpthread.so.0 /lib/aarch64-linux-gnu/libpthread.so.0
COPY --chmod=0644 dist/image/sysroot-arm64/lib/aarch64-linux-gnu/libdl.so.2 /lib/aarch64-linux-gnu/libdl.so.2
COPY --chmod=0644 dist/image/sysroot-arm64/lib/aarch64-linux-gnu/libm.so.6 /lib/aarch64-linux-gnu/libm.so.6

FROM files-${TARGETARCH}
COPY --chmod=0644 build/image/passwd /etc/passwd
COPY --chmod=0644 build/image/group /etc/group
COPY --chmod=0644 build/image/sluice.cfg /etc/sluice/sluice.cfg
COPY dist/image/skeleton/ /
ARG REVISION=unknown
LABEL org.opencontainers.image.title="sluice" \
      org.opencontainers.image.description="An edge reverse proxy and load balancer" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="MIT"
USER 65532:65532
ENV MIMALLOC_PURGE_HOLES=0
EXPOSE 8080 8404
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/usr/bin/sluice", "probe", "--timeout", "2s", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/usr/bin/sluice"]
CMD ["run", "-f", "/etc/sluice/sluice.cfg"]
