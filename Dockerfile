# baocao: one image with the hub, the node, the desk and the tool, built
# from the Debian packages (see docker-compose.yml for a hub and three
# nodes over CURVE).
#
#   docker build -t baocao:latest .
#
# Stage 1 builds the programs and the packages (cpack: baocao-hub,
# baocao-node, baocao-tools). Stage 2 installs those packages on a slim
# Debian, so apt brings exactly the runtime libraries their Depends name
# (dpkg-shlibdeps): no compiler, no -dev package, no test tool.

FROM debian:bookworm-slim AS build
# The build's part of scripts/install-deps.sh (the rest is for the tests,
# fuzzing and the benchmarks), and dpkg-dev for dpkg-shlibdeps.
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends \
        build-essential cmake pkg-config dpkg-dev file \
        libzmq3-dev libczmq-dev libprotobuf-c-dev protobuf-c-compiler \
        liblmdb-dev libsodium-dev libcsv-dev libcjson-dev libinih-dev \
        libxml2-dev libsystemd-dev libmicrohttpd-dev libjs-chart.js \
        libxlsxwriter-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBC_TESTS=OFF \
        >/dev/null \
    && make -C build -j"$(nproc)" >/dev/null \
    && cd build && cpack -G DEB >/dev/null && ls packages/*.deb

FROM debian:bookworm-slim
COPY --from=build /src/build/packages/*.deb /tmp/debs/
COPY packaging/docker/init-keys.sh /usr/local/bin/baocao-init-keys
# The packages' postinst makes the baocao user and a key pair for this
# image: the pairs are removed, or every container of the image would
# share them; the `keys` service makes each deployment's own.
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends /tmp/debs/*.deb \
    && rm -rf /tmp/debs /var/lib/apt/lists/* \
    && rm -f /etc/baocao/*.pub /etc/baocao/*.secret \
    && install -d -o baocao -g baocao -m 0750 /var/lib/baocao /keys \
    && chmod 0755 /usr/local/bin/baocao-init-keys
USER baocao
WORKDIR /var/lib/baocao
VOLUME /var/lib/baocao
EXPOSE 5555
# The default command is a hub; docker-compose.yml gives each service its
# own command and healthcheck. This one pings a hub in the same container
# with the operator key of the `keys` service (BAOCAO_PING overrides the
# options, e.g. "--plain").
ENV BAOCAO_PING="--hub tcp://127.0.0.1:5555 --hub-key /keys/hub.pub --cert /keys/operator.secret"
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
    CMD sh -c 'exec baocao ping --quiet --timeout 5000 $BAOCAO_PING'
CMD ["baocao-hub", "--store", "/var/lib/baocao/hub", \
     "--registry", "/keys/units.csv", \
     "--catalog", "/usr/share/baocao/indicators.csv", \
     "--rules", "/usr/share/baocao/rules.csv", \
     "--holidays", "/usr/share/baocao/holidays.csv", \
     "--bind", "tcp://0.0.0.0:5555", \
     "--curve-secret", "/keys/hub.secret", \
     "--operator-key", "/keys/operator.pub"]
