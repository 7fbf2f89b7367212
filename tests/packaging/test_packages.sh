#!/usr/bin/env bash
# packaging.debs (issue 15): the Debian packages as a user gets them.
#
#   bash tests/packaging/test_packages.sh BUILD_DIR      (ctest -L packaging)
#
# 1. cpack builds baocao-hub, baocao-node and baocao-tools from the build
#    folder's programs (no rebuild) into a temporary folder;
# 2. their contents (dpkg-deb -c), control fields and conffiles are checked;
# 3. lintian runs on them: any error fails, and so does any warning not in
#    the accepted list below;
# 4. dpkg installs them into a throwaway root (`dpkg --root R
#    --force-script-chrootless`: the maintainer scripts run on this
#    machine with DPKG_ROOT=R and act on R only; the host's dpkg database,
#    users and services are not touched), so postinst really makes the
#    baocao user (in R/etc/passwd) and the key pairs;
# 5. the demo runs from R: the installed hub, with the key pair its
#    postinst made, the installed data (units, indicators, rules,
#    holidays), and nine ward nodes over CURVE (one with the key pair the
#    node package made) deliver the Hồng Bàng 2023-12 fixture; the
#    district and province totals are checked;
# 6. a purge removes the key pairs and the config and keeps the store.
#
# Needs root (dpkg writes files owned by root into R); CI runs as root.
# Exit 77 (skipped) without root, dpkg-deb, cpack or lintian.
set -euo pipefail
build=${1:?usage: test_packages.sh BUILD_DIR}
build=$(cd "$build" && pwd)
src=${BC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
shared=${BC_SHARED_DIR:-$src/../shared}
fixture=$shared/fixtures/hong-bang-2023-nutrition.csv

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || skip "dpkg --root needs root (CI runs as root)"
for t in cpack dpkg-deb dpkg lintian useradd file python3; do
  command -v "$t" >/dev/null || skip "$t not installed (scripts/install-deps.sh)"
done
[[ -f $fixture ]] || fail "$fixture not found"

version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
[[ -n $version ]] || fail "no project version in $build/CMakeCache.txt"

work=$(mktemp -d /tmp/baocao-packaging-XXXXXX)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -n ${BAOCAO_KEEP:-} ]]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# --- 1. build ------------------------------------------------------------
echo "== cpack into $work/pkgs"
(cd "$build" && cpack -G DEB -B "$work/pkgs" >"$work/cpack.log" 2>&1) \
  || { cat "$work/cpack.log" >&2; fail "cpack"; }
hub_deb=$work/pkgs/baocao-hub_${version}_amd64.deb
node_deb=$work/pkgs/baocao-node_${version}_amd64.deb
tools_deb=$work/pkgs/baocao-tools_${version}_amd64.deb
debs=("$hub_deb" "$node_deb" "$tools_deb")
for d in "${debs[@]}"; do [[ -f $d ]] || fail "no $d (cpack.log: $(tail -3 "$work/cpack.log"))"; done

# --- 2. contents ---------------------------------------------------------
echo "== contents"
has() {   # has DEB PATH [MODE]: PATH in DEB's data (with MODE, e.g. -rwxr-xr-x)
  local line
  line=$(dpkg-deb -c "$1" | awk -v p="./$2" '$6 == p')
  [[ -n $line ]] || fail "$(basename "$1") lacks /$2"
  if [[ -n ${3:-} && $line != "$3 root/root"* ]]; then
    fail "$(basename "$1"): /$2 is '$line', want $3 root/root"
  fi
}
x=-rwxr-xr-x f=-rw-r--r--
has "$hub_deb" usr/bin/baocao-hub $x
has "$hub_deb" usr/bin/baocao-web $x
has "$hub_deb" lib/systemd/system/baocao-hub.service $f
has "$hub_deb" lib/systemd/system/baocao-web.service $f
has "$hub_deb" etc/baocao/hub.conf $f
has "$hub_deb" etc/baocao/web.conf $f
has "$node_deb" usr/bin/baocao-node $x
has "$node_deb" usr/bin/baocao-node-form $x
has "$node_deb" lib/systemd/system/baocao-node.service $f
has "$node_deb" etc/baocao/node.conf $f
has "$tools_deb" usr/bin/baocao $x
for d in units.csv units-history.csv indicators.csv rules.csv holidays.csv; do
  has "$tools_deb" "usr/share/baocao/$d" $f
  cmp -s <(dpkg-deb --fsys-tarfile "$tools_deb" | tar -xOf - "./usr/share/baocao/$d") \
    "$src/data/$d" || fail "/usr/share/baocao/$d differs from data/$d"
done
for p in hub node tools; do
  d=$work/pkgs/baocao-${p}_${version}_amd64.deb
  has "$d" "usr/share/doc/baocao-$p/copyright" $f
  has "$d" "usr/share/doc/baocao-$p/changelog.gz" $f
done
# Nothing from the build or test tree: no test programs, no flaky proxy.
for d in "${debs[@]}"; do
  if dpkg-deb -c "$d" | grep -Eq 'baocao-flaky|/tests?/|\.a$|\.h$'; then
    fail "$(basename "$d") carries a build or test file"
  fi
done
# The programs are stripped (built RelWithDebInfo).
dpkg-deb -x "$hub_deb" "$work/x"
file -b "$work/x/usr/bin/baocao-hub" 2>/dev/null | grep -q 'not stripped' \
  && fail "baocao-hub is not stripped"

for p in hub node; do
  d=$work/pkgs/baocao-${p}_${version}_amd64.deb
  dep=$(dpkg-deb -f "$d" Depends)
  [[ $dep == *"baocao-tools (= $version)"* ]] || fail "baocao-$p Depends: $dep"
  for lib in libzmq5 liblmdb0 libsodium23 libprotobuf-c1 libsystemd0 passwd; do
    [[ $dep == *"$lib"* ]] || fail "baocao-$p does not depend on $lib (shlibdeps): $dep"
  done
  dpkg-deb -I "$d" postinst >/dev/null || fail "baocao-$p has no postinst"
  dpkg-deb -I "$d" prerm >/dev/null || fail "baocao-$p has no prerm"
  dpkg-deb -I "$d" postrm >/dev/null || fail "baocao-$p has no postrm"
done
[[ $(dpkg-deb -I "$hub_deb" conffiles) == $'/etc/baocao/hub.conf\n/etc/baocao/web.conf' ]] \
  || fail "baocao-hub conffiles: $(dpkg-deb -I "$hub_deb" conffiles)"
[[ $(dpkg-deb -I "$node_deb" conffiles) == /etc/baocao/node.conf ]] \
  || fail "baocao-node conffiles: $(dpkg-deb -I "$node_deb" conffiles)"
# Every shell script is POSIX sh that parses.
for p in hub node; do
  for s in postinst prerm postrm; do
    dpkg-deb -I "$work/pkgs/baocao-${p}_${version}_amd64.deb" "$s" >"$work/$p.$s"
    sh -n "$work/$p.$s" || fail "baocao-$p $s does not parse"
  done
done
echo "   files, modes, Depends, conffiles and maintainer scripts as expected"

# --- 3. lintian ----------------------------------------------------------
# Accepted warnings, each with why: none today (a man page per program,
# from its --help, answers no-manual-page). Informational tags (I:) are
# not checked: hardening-no-bindnow and hardening-no-fortify-functions
# (the build's flags are the project's, -O2 without _FORTIFY_SOURCE or
# -z now, as the tests run them), binary-has-unneeded-section (.comment),
# package-supports-alternative-init-but-no-init.d-script (systemd only).
accepted_warnings=(
)
echo "== lintian"
lintian --tag-display-limit 0 "${debs[@]}" >"$work/lintian.log" 2>&1 || true
grep -E '^[EW]: ' "$work/lintian.log" | sed 's/^/   /' || true
if grep -q '^E: ' "$work/lintian.log"; then
  fail "lintian reports errors"
fi
while read -r line; do
  tag=$(awk '{print $3}' <<<"$line")
  ok=no
  for a in "${accepted_warnings[@]}"; do [[ $tag == "$a" ]] && ok=yes; done
  [[ $ok == yes ]] || fail "lintian warning not accepted: $line"
done < <(grep '^W: ' "$work/lintian.log" || true)
echo "   no errors; $(grep -c '^W: ' "$work/lintian.log" || true) warnings, all accepted"

# --- 4. install into a throwaway root --------------------------------------
R=$work/root
echo "== dpkg --root $R"
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/etc"
touch "$R/var/lib/dpkg/status"
# The accounts files a Debian root has (base-passwd), empty: useradd
# --prefix adds to them.
for a in passwd group shadow gshadow; do : >"$R/etc/$a"; done
chmod 640 "$R/etc/shadow" "$R/etc/gshadow"
host_passwd=$(sha256sum </etc/passwd)
# The libraries the packages depend on are this machine's, not R's:
# --force-depends. The programs run from R against them.
dpkg --root="$R" --force-script-chrootless --force-depends -i "${debs[@]}" \
  >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg -i"; }
grep 'wrote /etc/baocao' "$work/dpkg.log" | sed 's/^/   /'
for p in baocao-hub baocao-node baocao-tools; do
  [[ $(dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${Status}' $p) == "install ok installed" ]] \
    || fail "$p is not installed in $R"
done
grep -q '^baocao:x:[0-9]*:[0-9]*:.*:/var/lib/baocao:/usr/sbin/nologin$' "$R/etc/passwd" \
  || fail "no baocao user in $R/etc/passwd: $(cat "$R/etc/passwd")"
uid=$(awk -F: '$1 == "baocao" {print $3}' "$R/etc/passwd")
[[ $(sha256sum </etc/passwd) == "$host_passwd" ]] || fail "the host's /etc/passwd changed"
for k in hub node; do
  [[ $(stat -c '%a %u' "$R/etc/baocao/$k.secret") == "600 $uid" ]] \
    || fail "$k.secret: $(stat -c '%a %u' "$R/etc/baocao/$k.secret"), want 600 $uid"
  [[ $(stat -c '%a' "$R/etc/baocao/$k.pub") == 644 ]] || fail "$k.pub mode"
done
[[ $(stat -c '%u' "$R/var/lib/baocao") == "$uid" ]] || fail "/var/lib/baocao owner"
for b in baocao baocao-hub baocao-node baocao-web; do
  ldd "$R/usr/bin/$b" | grep -q 'not found' && fail "$b: $(ldd "$R/usr/bin/$b" | grep 'not found')"
  out=$("$R/usr/bin/$b" --version) || fail "$b --version"
  [[ $out == *"$version"* ]] || fail "$b --version says '$out', want $version"
done
# A reinstall (dpkg -i again: an upgrade to the same version) keeps the keys.
sum=$(sha256sum "$R/etc/baocao/hub.secret")
dpkg --root="$R" --force-script-chrootless --force-depends -i "$hub_deb" \
  >>"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg -i again"; }
[[ $(sha256sum "$R/etc/baocao/hub.secret") == "$sum" ]] || fail "a reinstall replaced hub.secret"
echo "   installed; user baocao ($uid); hub and node key pairs 0600; programs run"

# --- 5. the demo, from R ---------------------------------------------------
echo "== demo: the installed hub and nine nodes over CURVE"
bin=$R/usr/bin share=$R/usr/share/baocao etc=$R/etc/baocao
codes=(HP-HB-QT HP-HB-HV HP-HB-SD HP-HB-TC HP-HB-TL HP-HB-HL HP-HB-HVT HP-HB-PBC HP-HB-MK)
# The registry with each ward's public key in its key column (what a
# province does to /etc/baocao/units.csv): Quán Toan's is the key pair the
# node package made, the others' are made here.
declare -A keyof
keyof[HP-HB-QT]=$(sed -n 's/^ *public-key = "\(.*\)"$/\1/p' "$etc/node.pub")
cp "$etc/node.secret" "$work/HP-HB-QT.secret"
for c in "${codes[@]:1}"; do
  keyof[$c]=$("$bin/baocao" keygen --out "$work/$c" 2>/dev/null)
done
"$bin/baocao" keygen --out "$work/operator" >/dev/null 2>&1
for c in "${codes[@]}"; do echo "$c,${keyof[$c]}"; done >"$work/keys.csv"
awk -F, -v OFS=, 'NR == FNR { k[$1] = $2; next }
                  FNR == 1 { for (i = 1; i <= NF; i++) if ($i == "key") col = i }
                  FNR > 1 && col && ($1 in k) { $col = k[$1] } { print }' \
  "$work/keys.csv" "$share/units.csv" >"$work/units.csv"
[[ $(grep -c ',[^,]\{40\}$' "$work/units.csv") -eq 9 ]] || fail "registry keys not written"

"$bin/baocao-hub" --store "$work/hub" --registry "$work/units.csv" \
  --catalog "$share/indicators.csv" --rules "$share/rules.csv" \
  --holidays "$share/holidays.csv" --bind 'tcp://127.0.0.1:*' \
  --endpoint-file "$work/hub.endpoint" --curve-secret "$etc/hub.secret" \
  --operator-key "$work/operator.pub" --log-level warn 2>"$work/hub.log" &
pids+=($!)
for _ in $(seq 100); do [[ -s $work/hub.endpoint ]] && break; sleep 0.1; done
[[ -s $work/hub.endpoint ]] || { cat "$work/hub.log" >&2; fail "the installed hub did not start"; }
hub=$(cat "$work/hub.endpoint")
"$bin/baocao" ping --hub "$hub" --hub-key "$etc/hub.pub" --cert "$work/operator.secret" \
  --quiet || fail "baocao ping"

i=0
while IFS=, read -r _ward u5 u2 maln _uw _st _wa uwc; do
  c=${codes[$i]}
  printf 'indicator,value\nsdd_u5,%s\nsdd_u2,%s\nsdd_malnourished,%s\nsdd_underweight,%s\n' \
    "$u5" "$u2" "$maln" "$uwc" >"$work/$c.csv"
  "$bin/baocao" submit --store "$work/node-$c" --unit "$c" --period 2023-12 \
    --file "$work/$c.csv" >/dev/null 2>>"$work/submit.log" || { cat "$work/submit.log" >&2; fail "submit $c"; }
  i=$((i + 1))
done < <(tail -n +2 "$fixture")
[[ $i -eq 9 ]] || fail "fixture has $i wards, want 9"
node_pids=()
for c in "${codes[@]}"; do
  "$bin/baocao-node" --store "$work/node-$c" --unit "$c" --hub "$hub" \
    --hub-key "$etc/hub.pub" --cert "$work/$c.secret" --drain --max-seconds 60 \
    --log-level warn 2>>"$work/nodes.log" &
  node_pids+=($!)
done
for p in "${node_pids[@]}"; do
  wait "$p" || { cat "$work/nodes.log" >&2; fail "a node did not deliver everything (exit $?)"; }
done

q() {
  "$bin/baocao" query --hub "$hub" --hub-key "$etc/hub.pub" --cert "$work/operator.secret" \
    --period 2023-12 --format csv "$@"
}
# value of INDICATOR in the CSV of `baocao query` (names hold commas, in
# quotes: Python's csv reads them).
val() {
  python3 -c 'import csv, sys
for row in csv.DictReader(sys.stdin):
    if row["indicator"] == sys.argv[1]:
        print(row["value"])' "$2" <<<"$1"
}
for unit in HP-HB HP; do
  out=$(q --unit "$unit" --indicator sdd_u5 --indicator sdd_u2 \
          --indicator sdd_malnourished --indicator sdd_underweight) || fail "query $unit"
  for pair in sdd_u5=7492 sdd_u2=2855 sdd_malnourished=1594 sdd_underweight=637; do
    got=$(val "$out" "${pair%=*}")
    [[ $got == "${pair#*=}" ]] || { echo "$out" >&2; fail "$unit ${pair%=*} = '$got', want ${pair#*=}"; }
  done
  echo "   $unit 2023-12: sdd_u5 7492, sdd_u2 2855, sdd_malnourished 1594, sdd_underweight 637"
done
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true; pids=()

# --- 6. purge ----------------------------------------------------------------
echo "== dpkg --root $R --purge"
mkdir -p "$R/var/lib/baocao/hub" && : >"$R/var/lib/baocao/hub/data.mdb"
dpkg --root="$R" --force-script-chrootless --force-depends --purge \
  baocao-hub baocao-node baocao-tools >>"$work/dpkg.log" 2>&1 \
  || { cat "$work/dpkg.log" >&2; fail "dpkg --purge"; }
for gone in etc/baocao/hub.secret etc/baocao/node.pub etc/baocao/hub.conf \
            etc/baocao/node.conf usr/bin/baocao-hub usr/share/baocao/units.csv \
            lib/systemd/system/baocao-hub.service \
            lib/systemd/system/baocao-web.service; do
  [[ ! -e $R/$gone ]] || fail "/$gone survived the purge"
done
[[ -e $R/var/lib/baocao/hub/data.mdb ]] || fail "the purge deleted the store"
echo "   keys, config and programs gone; the store under /var/lib/baocao kept"
echo "packaging: 1 passed, 0 failed"
