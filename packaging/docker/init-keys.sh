#!/bin/sh
# init-keys.sh: the `keys` service of docker-compose.yml (CURVE on by
# default). Makes, once, every key pair the compose file uses, and writes
# the hub's registry with the nodes' public keys in its key column:
#
#   $KEYS/hub/hub.pub, hub.secret       the hub's pair
#   $KEYS/hub/operator.pub, .secret     an operator (queries, the hub's
#                                       healthcheck)
#   $KEYS/hub/units.csv                 $DATA/units.csv, key column filled
#                                       for every node of $BAOCAO_NODES
#   $KEYS/UNIT/node.pub, node.secret    each node's pair, for UNIT in
#   $KEYS/UNIT/hub.pub                  $BAOCAO_NODES, and the hub's public key
#
# Each folder is its own volume in the compose file: the hub sees only its
# own, and a node only its pair and the hub's public key. Run again, it
# keeps the existing pairs (the other side knows their public keys) and
# makes the missing ones, so adding a unit to BAOCAO_NODES is one more
# `docker compose run --rm keys`; the registry is rewritten every time.
#
# Environment: BAOCAO_NODES (units, space separated; required),
# BAOCAO_KEYS (default /keys), BAOCAO_DATA (default /usr/share/baocao),
# BAOCAO (the baocao program, default baocao), BAOCAO_OWNER (user:group the
# files are given to, default baocao:baocao in the image; empty: leave).
# Secrets are 0600, the rest 0644. Exit 0 done, 1 failed, 2 bad settings.
set -eu

keys=${BAOCAO_KEYS:-/keys}
data=${BAOCAO_DATA:-/usr/share/baocao}
baocao=${BAOCAO:-baocao}
owner=${BAOCAO_OWNER-baocao:baocao}
nodes=${BAOCAO_NODES:-}

say() { echo "init-keys: $*" >&2; }
[ -n "$nodes" ] || { say "BAOCAO_NODES is empty: name the nodes' units"; exit 2; }
[ -f "$data/units.csv" ] || { say "no registry $data/units.csv"; exit 2; }
umask 077

# pair DIR NAME: DIR/NAME.pub and DIR/NAME.secret, made if missing.
pair() {
    mkdir -p "$1"
    if [ -s "$1/$2.secret" ] && [ -s "$1/$2.pub" ]; then
        return 0
    fi
    "$baocao" keygen --out "$1/$2" >/dev/null 2>&1 \
        || { say "baocao keygen --out $1/$2 failed"; exit 1; }
    say "made $1/$2.pub and $1/$2.secret"
}

# The public key's 40 characters (Z85: no quote, comma or space).
public_key() {
    sed -n 's/^ *public-key = "\(.*\)"$/\1/p' "$1"
}

pair "$keys/hub" hub
pair "$keys/hub" operator
# (in the hub's volume, not /tmp: the containers' root is read-only)
list=$keys/hub/.node-keys
trap 'rm -f "$list"' EXIT
: >"$list"
for unit in $nodes; do
    grep -q "^$unit," "$data/units.csv" \
        || { say "unit $unit is not in $data/units.csv"; exit 2; }
    pair "$keys/$unit" node
    cp "$keys/hub/hub.pub" "$keys/$unit/hub.pub"
    echo "$unit,$(public_key "$keys/$unit/node.pub")" >>"$list"
done

# The registry: the shipped one, with the key column of each node
# filled in. Written aside and renamed, so the hub never reads half a file.
awk -F, -v OFS=, 'NR == FNR { k[$1] = $2; next }
                  FNR == 1 { for (i = 1; i <= NF; i++) if ($i == "key") col = i }
                  FNR > 1 && col && ($1 in k) { $col = k[$1] } { print }' \
    "$list" "$data/units.csv" >"$keys/hub/units.csv.new"
mv "$keys/hub/units.csv.new" "$keys/hub/units.csv"
say "wrote $keys/hub/units.csv with the keys of $(wc -l <"$list") nodes"

# Each volume, not $keys itself: in the container that is the image's
# read-only /keys, the volumes being mounted under it.
dirs="$keys/hub"
for unit in $nodes; do dirs="$dirs $keys/$unit"; done
for d in $dirs; do
    find -L "$d" -type f -exec chmod 0644 {} +
    find -L "$d" -type f -name '*.secret' -exec chmod 0600 {} +
    chmod 0755 "$d"
    if [ -n "$owner" ]; then
        chown -R "$owner" "$d/"
    fi
done
