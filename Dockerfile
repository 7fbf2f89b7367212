# baocao: one image with the hub, the node and the tool (see docker-compose.yml).
FROM debian:bookworm-slim AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends ca-certificates \
    && scripts/install-deps.sh
COPY . .
RUN BUILD_DIR=/src/build BUILD_TYPE=Release scripts/build.sh -DBC_TESTS=OFF

FROM debian:bookworm-slim
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
        libzmq5 libczmq4 libprotobuf-c1 liblmdb0 libsodium23 libcsv3 \
        libcjson1 libinih1 lmdb-utils \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/bin/baocao /src/build/bin/baocao-hub \
                  /src/build/bin/baocao-node /usr/local/bin/
COPY data /etc/baocao/
VOLUME /var/lib/baocao
