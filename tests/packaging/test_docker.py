#!/usr/bin/python3
"""packaging.docker (issue 15): the Dockerfile and docker-compose.yml,
tested without a Docker engine.

There is no Docker daemon on the test machines (and no registry to pull
debian:bookworm-slim from), so `docker build` and `docker compose up` are
not run. What can be checked without them is:

1. the compose file is valid: `docker-compose config` (or `docker compose
   config`), default and `demo` profile; CURVE on every default service and
   plain mode only in the demo profile; a healthcheck on every service, all
   of them `baocao ping` but the one-shot `keys`; every daemon as non-root;
2. the Dockerfile: multi-stage, a non-root USER and a `baocao ping`
   HEALTHCHECK in the final stage, which installs the packages;
3. the compose file run for real on this machine: the `keys` service's
   script (packaging/docker/init-keys.sh) with each volume as a folder, then
   the hub's and the nodes' exact commands, and each service's exact
   healthcheck, from `docker-compose config`'s output, with each volume's
   mount point mapped to its folder, /usr/share/baocao to data/ and the
   service names to loopback. Three wards' reports go through over CURVE
   with the keys the script made, and the district total is checked; a
   healthcheck with a key the hub does not know fails; a second run of the
   script keeps every key pair.

Environment: BC_BIN_DIR (programs), BC_SOURCE_DIR, BC_SHARED_DIR.
Exit 77 (skipped) without python3-yaml.
"""
import csv
import hashlib
import os
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

try:
    import yaml
except ImportError:
    print("SKIP: python3-yaml not installed (scripts/install-deps.sh)")
    sys.exit(77)

SRC = os.environ.get("BC_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("BC_BIN_DIR") or os.path.join(SRC, "build", "bin")
SHARED = os.environ.get("BC_SHARED_DIR") or os.path.join(SRC, "..", "shared")
FIXTURE = os.path.join(SHARED, "fixtures", "hong-bang-2023-nutrition.csv")
COMPOSE = os.path.join(SRC, "docker-compose.yml")
DOCKERFILE = os.path.join(SRC, "Dockerfile")
INIT = os.path.join(SRC, "packaging", "docker", "init-keys.sh")
PROGRAMS = ("baocao", "baocao-hub", "baocao-node", "baocao-web")

failures = 0
checks = 0


def check(ok, what):
    global failures, checks
    checks += 1
    if ok:
        print("   ok   " + what)
    else:
        failures += 1
        print("   FAIL " + what)
    return ok


def compose_cmd():
    """The compose CLI there is: the plugin or docker-compose v1."""
    if shutil.which("docker"):
        r = subprocess.run(["docker", "compose", "version"],
                           capture_output=True, text=True)
        if r.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def load_config(cli, profile=None):
    """The resolved compose file (anchors merged) as a dict."""
    if cli:
        args = cli + ["-f", COMPOSE]
        if profile:
            args += ["--profile", profile]
        r = subprocess.run(args + ["config"], capture_output=True, text=True,
                           cwd=SRC)
        check(r.returncode == 0, "%s config%s: %s" % (
            " ".join(cli), " --profile " + profile if profile else "",
            "valid" if r.returncode == 0 else r.stderr.strip()))
        conf = yaml.safe_load(r.stdout) if r.returncode == 0 else None
    if not cli or conf is None:
        with open(COMPOSE) as f:
            conf = yaml.safe_load(f)
    # docker-compose v1's config lists the services of every profile:
    # keep those that `up` would start.
    conf["services"] = {k: v for k, v in conf["services"].items()
                        if not v.get("profiles") or profile in v["profiles"]}
    return conf


def as_list(cmd):
    return shlex.split(cmd) if isinstance(cmd, str) else list(cmd)


def static_checks(cli):
    print("== the compose file")
    conf = load_config(cli)
    demo = load_config(cli, "demo")
    services = conf["services"]
    check(set(services) == {"keys", "hub", "node-qt", "node-hv", "node-sd"},
          "default services: keys, hub and three nodes (%s)"
          % " ".join(sorted(services)))
    check(set(demo["services"]) - set(services) == {"hub-plain", "node-plain"},
          "the demo profile adds hub-plain and node-plain")
    for name, s in demo["services"].items():
        cmd = as_list(s.get("command", []))
        hc = s.get("healthcheck", {})
        test = as_list(hc.get("test", []))
        in_demo = "demo" in (s.get("profiles") or [])
        plain = any(a == "--plain" for a in cmd + test)
        check(bool(test) and test[0] in ("CMD", "CMD-SHELL"),
              "%s has a healthcheck" % name)
        if name != "keys":
            check(test[1:3] == ["baocao", "ping"],
                  "%s's healthcheck is baocao ping" % name)
            check(s.get("user") in (None, "baocao"),
                  "%s runs as the image's baocao user" % name)
        check(plain == in_demo,
              "%s: plain mode %s" % (name, "(demo profile)" if in_demo
                                     else "off, CURVE on"))
        if name in ("hub", "node-qt", "node-hv", "node-sd"):
            flags = " ".join(cmd)
            want = "--curve-secret" if name == "hub" else "--cert"
            check(want in flags and "--plain" not in flags,
                  "%s uses CURVE (%s)" % (name, want))
    keys = services["keys"]
    check(keys.get("restart") in ("no", False),
          "keys is one-shot (restart: no)")
    for name in ("hub", "node-qt", "node-hv", "node-sd"):
        dep = services[name].get("depends_on", {})
        check(isinstance(dep, dict) and dep.get("keys", {}).get("condition")
              == "service_completed_successfully",
              "%s waits for the keys" % name)

    print("== the Dockerfile")
    with open(DOCKERFILE) as f:
        lines = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    froms = [i for i, l in enumerate(lines) if l.startswith("FROM ")]
    check(len(froms) >= 2, "multi-stage (%d FROM)" % len(froms))
    final = lines[froms[-1]:] if froms else []
    users = [l.split()[1] for l in final if l.startswith("USER ")]
    check(bool(users) and users[-1] not in ("root", "0"),
          "final stage runs as %s" % (users[-1] if users else "root"))
    hc = [l for l in final if l.startswith("HEALTHCHECK")]
    joined = " ".join(final)
    check(bool(hc) and "baocao ping" in joined, "HEALTHCHECK with baocao ping")
    check("COPY --from=build" in joined and ".deb" in joined,
          "the runtime stage installs the packages built in the first")
    check(not any("-dev" in l for l in final),
          "no -dev package in the runtime stage")
    return conf, demo


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Deployment:
    """The compose services run as processes, volumes as folders."""

    def __init__(self, conf, work, port):
        self.conf = conf
        self.work = work
        self.port = port
        self.procs = []
        self.vols = {}
        for name in conf.get("volumes", {}):
            d = os.path.join(work, "vol", name)
            os.makedirs(d)
            self.vols[name] = d

    def mounts(self, service):
        out = []
        for v in self.conf["services"][service].get("volumes", []):
            if isinstance(v, dict):
                src, dst = v["source"], v["target"]
            else:
                src, dst = v.split(":")[:2]
            out.append((dst, self.vols[src]))
        # Longest mount point first: /keys/hub before /keys.
        out.sort(key=lambda m: -len(m[0]))
        return out

    def map_arg(self, service, arg):
        a = arg
        for h in ("0.0.0.0", "127.0.0.1", "hub", "hub-plain"):
            a = a.replace("tcp://%s:5555" % h, "tcp://127.0.0.1:%d" % self.port)
        a = a.replace("/usr/share/baocao", os.path.join(SRC, "data"))
        for dst, src in self.mounts(service):
            a = a.replace("=" + dst + "/", "=" + src + "/")
            if a.startswith(dst + "/"):
                a = src + a[len(dst):]
        return a

    def argv(self, service, cmd):
        cmd = as_list(cmd)
        if cmd and cmd[0] in ("CMD", "CMD-SHELL"):
            cmd = cmd[1:]
        if cmd and cmd[0] in PROGRAMS:
            cmd = [os.path.join(BIN, cmd[0])] + cmd[1:]
        return [cmd[0]] + [self.map_arg(service, a) for a in cmd[1:]]

    def start(self, service, log):
        s = self.conf["services"][service]
        argv = self.argv(service, s["command"])
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                             stderr=open(log, "w"))
        self.procs.append(p)
        return p

    def healthcheck(self, service, extra=None):
        argv = self.argv(service, self.conf["services"][service]
                         ["healthcheck"]["test"])
        if extra:
            argv = [a for a in argv if not a.startswith(extra[0].split("=")[0])]
            argv += extra
        return subprocess.run(argv, capture_output=True, text=True,
                              timeout=30).returncode

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        self.procs = []


def run_keys(dep, conf):
    """The keys service: its script, with its mounts as symlinks."""
    s = conf["services"]["keys"]
    env = s.get("environment", {})
    if isinstance(env, list):
        env = dict(e.split("=", 1) for e in env)
    root = os.path.join(dep.work, "keys-root")
    for dst, src in dep.mounts("keys"):
        check(dst.startswith("/keys/"), "keys mounts %s under /keys" % dst)
        link = os.path.join(root, dst[len("/keys/"):])
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if not os.path.islink(link):
            os.symlink(src, link)
    e = dict(os.environ, BAOCAO_KEYS=root, BAOCAO_DATA=os.path.join(SRC, "data"),
             BAOCAO=os.path.join(BIN, "baocao"), BAOCAO_OWNER="",
             BAOCAO_NODES=env["BAOCAO_NODES"])
    r = subprocess.run(["sh", INIT], env=e, capture_output=True, text=True)
    check(r.returncode == 0, "init-keys.sh exits 0" +
          ("" if r.returncode == 0 else ": " + r.stderr))
    return env["BAOCAO_NODES"].split(), r.stderr


def digest_tree(d):
    h = hashlib.sha256()
    for base, _dirs, files in sorted(os.walk(d, followlinks=True)):
        for f in sorted(files):
            if f.endswith((".secret", ".pub")):
                with open(os.path.join(base, f), "rb") as fh:
                    h.update(f.encode() + fh.read())
    return h.hexdigest()


def query_value(dep, unit, indicator):
    hub_keys = dep.vols["hub-keys"]
    r = subprocess.run(
        [os.path.join(BIN, "baocao"), "query",
         "--hub", "tcp://127.0.0.1:%d" % dep.port,
         "--hub-key", os.path.join(hub_keys, "hub.pub"),
         "--cert", os.path.join(hub_keys, "operator.secret"),
         "--unit", unit, "--period", "2023-12", "--indicator", indicator,
         "--format", "csv"], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        return None
    for row in csv.DictReader(r.stdout.splitlines()):
        if row["indicator"] == indicator:
            return row["value"]
    return None


def wait_healthy(dep, service, seconds=20):
    """The service's healthcheck, until it passes, its daemon exits or
    SECONDS pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if dep.healthcheck(service) == 0:
            return True
        if any(p.poll() is not None for p in dep.procs):
            return False
        time.sleep(0.2)
    return False


def live_checks(conf, demo, work):
    print("== the keys service (packaging/docker/init-keys.sh)")
    dep = Deployment(conf, work, free_port())
    nodes, _ = run_keys(dep, conf)
    hub_keys = dep.vols["hub-keys"]
    node_vol = {"HP-HB-QT": "node-qt-keys", "HP-HB-HV": "node-hv-keys",
                "HP-HB-SD": "node-sd-keys"}
    check(nodes == list(node_vol), "BAOCAO_NODES names the three wards")
    for f in ("hub.pub", "hub.secret", "operator.pub", "operator.secret",
              "units.csv"):
        check(os.path.isfile(os.path.join(hub_keys, f)), "hub-keys/" + f)
    check(not os.path.exists(os.path.join(hub_keys, "HP-HB-QT.secret")) and
          not any(f.startswith("node") for f in os.listdir(hub_keys)),
          "no node secret in the hub's volume")
    with open(os.path.join(hub_keys, "units.csv")) as f:
        reg = {r["code"]: r for r in csv.DictReader(f)}
    for unit, vol in node_vol.items():
        d = dep.vols[vol]
        check(sorted(os.listdir(d)) == ["hub.pub", "node.pub", "node.secret"],
              "%s holds node.pub, node.secret, hub.pub only" % vol)
        with open(os.path.join(d, "node.pub")) as f:
            pub = [l.split('"')[1] for l in f if "public-key" in l][0]
        check(reg[unit]["key"] == pub and len(pub) == 40,
              "the registry's key of %s is its node.pub" % unit)
    check(sum(1 for r in reg.values() if r["key"]) == 3,
          "the registry has exactly three keys")
    for base, _d, files in os.walk(os.path.join(work, "vol")):
        for f in files:
            mode = stat.S_IMODE(os.stat(os.path.join(base, f)).st_mode)
            want = 0o600 if f.endswith(".secret") else 0o644
            if not check(mode == want, "%s mode %o" % (f, mode)):
                pass
    before = digest_tree(os.path.join(work, "vol"))
    run_keys(dep, conf)
    check(digest_tree(os.path.join(work, "vol")) == before,
          "a second run keeps every key pair")

    print("== the services' commands, over CURVE (port %d)" % dep.port)
    try:
        dep.start("hub", os.path.join(work, "hub.log"))
        check(wait_healthy(dep, "hub"),
              "the hub's healthcheck passes once it listens")
        unknown = os.path.join(work, "stranger")
        subprocess.run([os.path.join(BIN, "baocao"), "keygen", "--out",
                        unknown], capture_output=True, check=True)
        check(dep.healthcheck("hub", ["--cert=" + unknown + ".secret"]) == 1,
              "the healthcheck fails with a key the hub does not know")
        with open(FIXTURE) as f:
            rows = list(csv.DictReader(f))[:3]
        expect = sum(int(r["children_under5"]) for r in rows)
        for unit, row in zip(node_vol, rows):
            svc = "node-" + node_vol[unit].split("-")[1]
            report = os.path.join(work, unit + ".csv")
            with open(report, "w") as f:
                f.write("indicator,value\nsdd_u5,%s\nsdd_u2,%s\n"
                        % (row["children_under5"], row["children_under2"]))
            store = dep.map_arg(svc, "/var/lib/baocao/node")
            r = subprocess.run([os.path.join(BIN, "baocao"), "submit",
                                "--store", store, "--unit", unit,
                                "--period", "2023-12", "--file", report],
                               capture_output=True, text=True)
            check(r.returncode == 0, "%s: a report filed into its outbox" % unit)
            dep.start(svc, os.path.join(work, svc + ".log"))
        got = None
        for _ in range(200):
            got = query_value(dep, "HP-HB", "sdd_u5")
            if got == str(expect):
                break
            time.sleep(0.1)
        check(got == str(expect),
              "HP-HB sdd_u5 = %s from the three nodes (want %d)" % (got, expect))
        for svc in ("node-qt", "node-hv", "node-sd"):
            check(dep.healthcheck(svc) == 0, "%s's healthcheck passes" % svc)
        check(all(p.poll() is None for p in dep.procs),
              "the hub and the nodes are still running")
    finally:
        dep.stop()
        for log in ("hub", "node-qt", "node-hv", "node-sd"):
            path = os.path.join(work, log + ".log")
            if failures and os.path.exists(path):
                print("--- %s.log\n%s" % (log, open(path).read()[-2000:]))

    print("== the demo profile, plain")
    dp = Deployment(demo, os.path.join(work, "demo"), free_port())
    try:
        dp.start("hub-plain", os.path.join(work, "hub-plain.log"))
        check(wait_healthy(dp, "hub-plain"), "hub-plain's healthcheck passes")
        dp.start("node-plain", os.path.join(work, "node-plain.log"))
        check(dp.healthcheck("node-plain") == 0, "node-plain's healthcheck passes")
    finally:
        dp.stop()


def main():
    for p in PROGRAMS[:3]:
        if not os.access(os.path.join(BIN, p), os.X_OK):
            print("FAIL: %s not built in %s" % (p, BIN))
            return 1
    cli = compose_cmd()
    if not cli:
        print("   (no docker compose nor docker-compose: the file is read "
              "with python3-yaml only)")
    r = subprocess.run(["docker", "info"], capture_output=True, text=True) \
        if shutil.which("docker") else None
    if not r or r.returncode != 0:
        print("   (no Docker engine here: docker build and docker compose up "
              "are not run)")
    conf, demo = static_checks(cli)
    work = tempfile.mkdtemp(prefix="baocao-docker-")
    try:
        live_checks(conf, demo, work)
    finally:
        if os.environ.get("BAOCAO_KEEP"):
            print("kept " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("docker: %d passed, %d failed" % (checks - failures, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
