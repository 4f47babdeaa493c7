#!/usr/bin/python3
"""deploy/ checked offline: the systemd units, the Dockerfile and the
Kubernetes manifests. Neither Docker nor a cluster runs here, so:

  systemd  `systemd-analyze verify` prints nothing for the committed units; the
           server and gateway serve (insert, get, backup, SIGTERM) under the
           units' SystemCallFilter, RestrictAddressFamilies and
           MemoryDenyWriteExecute, replayed as a seccomp filter.
  Docker   the build stage runs scripts/install-deps and scripts/build (--serve); the
           runtime stage is non-root with a volume; every shared library the
           built binaries load comes from `scripts/install-deps --runtime` or
           the debian:12 image itself.
  k8s      yamllint; `kubectl kustomize deploy/k8s` renders (kubectl 1.20's
           kustomize v2 and current v5 alike); the rendered objects fit
           together: three shards, each a StatefulSet of three replicas,
           alike but for their names; each replica's --replicas names its
           own shard's pods (ids 1..3, raft port 7000) and the pod's command
           makes --replica_id of its ordinal (run here under /bin/sh); the
           peer and client Services, hostname anti-affinity, a disruption
           budget keeping a majority and a NetworkPolicy per shard; probes,
           volume, non-root, resources; the fan-out's shard list, the
           router's ConfigMap, and its nginx.conf generated from the shard
           map, which names each shard's client Service. `kubectl
           apply/create --dry-run=client` needs an API server for discovery
           (1.20 and 1.32 alike), so it is not a check here.

Usage: deploy_files_test.py REPO_ROOT BUILD_DIR [unittest options]
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.request

import yaml  # Debian's python3-yaml

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import stack  # noqa: E402

if len(sys.argv) < 3:
    sys.exit(__doc__)
REPO, BUILD = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
del sys.argv[1:3]

SERVER = os.path.join(BUILD, "proto", "permits-server")
GATEWAY = os.path.join(BUILD, "proto", "permits-gateway")
CLI = os.path.join(BUILD, "cli", "lmdbapi")
UNITS = ("lmdbapi-server.service", "lmdbapi-gateway.service")

# Packages a library may come from without `install-deps --runtime`
# installing it, because the debian:12 image has them: libc6 (every program),
# zlib1g (dpkg links it), libstdc++6 and libgcc-s1 (apt is C++). A
# `debootstrap --variant=minbase bookworm` root, what the image is made
# from, holds all four.
BASE_IMAGE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g"}


def repo_path(*parts):
    return os.path.join(REPO, *parts)


def run(args, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, **kwargs)


def sanitized(binary):
    """An ASan/UBSan build (scripts/sanitize runs this test on build-asan/)."""
    return re.search(r"lib(asan|ubsan)\.so", run(["ldd", binary]).stdout) is not None


def read_unit(path):
    """{section: [(key, value), ...]} of a systemd unit file, in file order."""
    sections, current = {}, None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                current = sections.setdefault(line.strip("[]"), [])
            else:
                key, _, value = line.partition("=")
                current.append((key, value))
    return sections


def values(pairs, key):
    return [v for k, v in pairs if k == key]


def syscall_groups():
    """{"@group": [syscall or @group, ...]} as this systemd defines them."""
    groups, current = {}, None
    for line in run(["systemd-analyze", "syscall-filter"]).stdout.splitlines():
        item = line.strip()
        if not item or item.startswith("#"):
            continue
        if not line[0].isspace():
            current = groups.setdefault(item, [])
        elif current is not None:
            current.append(item)
    return groups


def expand(items, groups):
    out = set()
    for item in items:
        out |= expand(groups[item], groups) if item.startswith("@") else {item}
    return out


def unit_seccomp_filter(service):
    """A unit's syscall sandbox as a libseccomp filter that kills on refusal
    (the unit itself answers EPERM; killing shows every refusal).

    Replays SystemCallFilter (allow list, then ~deny lists),
    RestrictAddressFamilies (socket()'s family) and MemoryDenyWriteExecute in
    systemd 252's seccomp form: no writable+executable mmap, no mprotect to
    executable, no SHM_EXEC. Mount sandboxing (ProtectSystem, ...) is not
    replayed.
    """
    import seccomp  # Debian's python3-seccomp

    groups = syscall_groups()
    allowed = set()
    for value in values(service, "SystemCallFilter"):
        if value.startswith("~"):
            allowed -= expand(value[1:].split(), groups)
        else:
            allowed |= expand(value.split(), groups)
    f = seccomp.SyscallFilter(defaction=seccomp.KILL_PROCESS)

    def allow(name, *args):
        try:
            f.add_rule(seccomp.ALLOW, name, *args)
        except (RuntimeError, ValueError, OSError):
            pass  # not a system call of this architecture

    families = " ".join(values(service, "RestrictAddressFamilies")).split()
    if families:
        numbers = {"AF_UNIX": 1, "AF_INET": 2, "AF_INET6": 10}
        for family in families:
            allow("socket", seccomp.Arg(0, seccomp.EQ, numbers[family]))
        allowed.discard("socket")
    if ("MemoryDenyWriteExecute", "yes") in service:
        write, execute, shm_exec = 0x2, 0x4, 0o100000  # PROT_*, SHM_EXEC
        for prot in (0, write, execute):
            allow("mmap", seccomp.Arg(2, seccomp.MASKED_EQ, write | execute, prot))
        for name in ("mprotect", "pkey_mprotect"):
            allow(name, seccomp.Arg(2, seccomp.MASKED_EQ, execute, 0))
        allow("shmat", seccomp.Arg(2, seccomp.MASKED_EQ, shm_exec, 0))
        allowed -= {"mmap", "mprotect", "pkey_mprotect", "shmat"}
    for name in sorted(allowed):
        allow(name)
    return f


class SystemdUnitsTest(unittest.TestCase):
    def setUp(self):
        self.units = {u: read_unit(repo_path("deploy", "systemd", u)) for u in UNITS}

    def test_verify_prints_nothing(self):
        # verify wants each ExecStart binary, and the units those checked
        # depend on (sysinit.target, ...), inside --root: so the host's unit
        # directory, the committed units as they are, and the built binaries
        # under the names the units run.
        with tempfile.TemporaryDirectory() as root:
            shutil.copytree("/usr/lib/systemd/system",
                            os.path.join(root, "usr/lib/systemd/system"), symlinks=True)
            os.makedirs(os.path.join(root, "etc/systemd/system"))
            for u in UNITS:
                shutil.copy(repo_path("deploy", "systemd", u),
                            os.path.join(root, "etc/systemd/system", u))
            os.makedirs(os.path.join(root, "usr/local/bin"))
            shutil.copy(SERVER, os.path.join(root, "usr/local/bin/lmdbapi-server"))
            shutil.copy(GATEWAY, os.path.join(root, "usr/local/bin/lmdbapi-gateway"))
            r = run(["systemd-analyze", "verify", "--root=" + root, *UNITS])
            # An unknown key or a bad value is a warning, exit code 0.
            self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""))

    def test_server_keeps_data_in_its_state_directory(self):
        service = self.units["lmdbapi-server.service"]["Service"]
        self.assertIn(("ExecStart", "/usr/local/bin/lmdbapi-server"), service)
        self.assertIn(("StateDirectory", "lmdbapi"), service)
        self.assertIn(("Environment", "LMDBAPI_DATA_DIR=/var/lib/lmdbapi/data"), service)
        self.assertIn(("Environment", "LMDBAPI_BACKUP_DIR=/var/lib/lmdbapi/backups"), service)
        for u in UNITS:
            service = self.units[u]["Service"]
            for setting in (("EnvironmentFile", "-/etc/lmdbapi/lmdbapi.env"),
                            ("KillSignal", "SIGTERM"), ("Restart", "on-failure"),
                            ("ProtectSystem", "strict"), ("NoNewPrivileges", "yes")):
                self.assertIn(setting, service, u)

    def test_gateway_requires_and_follows_the_server(self):
        unit = self.units["lmdbapi-gateway.service"]["Unit"]
        self.assertIn(("Requires", "lmdbapi-server.service"), unit)
        self.assertIn("lmdbapi-server.service", " ".join(values(unit, "After")).split())

    def test_example_env_file_names_only_variables_the_programs_read(self):
        help_text = (run([SERVER, "--help"]).stdout + run([GATEWAY, "-help"]).stderr)
        with open(repo_path("deploy", "systemd", "lmdbapi.env")) as f:
            names = re.findall(r"^#?([A-Z][A-Z0-9_]+)=", f.read(), re.M)
        self.assertGreater(len(names), 10)
        for name in names:  # set or shown commented out
            self.assertIn("$" + name, help_text, name)

    def test_programs_serve_under_the_units_syscall_sandbox(self):
        if sanitized(SERVER):
            # LeakSanitizer ptraces the process at exit, which @system-service
            # refuses; the units run the plain build.
            self.skipTest("sanitizer build")
        with tempfile.TemporaryDirectory() as tmp:
            procs = stack.Processes(tmp)
            server, grpc_port = self.start(procs, "lmdbapi-server.service", "server", [
                SERVER, "--listen=127.0.0.1:0", "--data_dir=" + tmp + "/data",
                "--backup_dir=" + tmp + "/backups"], "--port_file")
            try:
                gateway, http_port = self.start(procs, "lmdbapi-gateway.service", "gateway", [
                    GATEWAY, "-backend=127.0.0.1:%d" % grpc_port, "-listen=127.0.0.1:0"],
                    "-port_file")
                try:
                    base = "http://127.0.0.1:%d" % http_port
                    self.assertEqual(http(base + "/healthz")["status"], "SERVING")
                    record = http(base + "/api/permits/insert-record",
                                  {"client": "Acme", "county": "NY"})
                    self.assertEqual(http(base + "/api/permits/" + record["uuid"])["client"],
                                     "Acme")
                    backup(grpc_port, "sandboxed")
                    self.assertTrue(os.path.exists(tmp + "/backups/sandboxed/data.mdb"))
                finally:
                    self.stop(procs, gateway)
            finally:
                self.stop(procs, server)

    def start(self, procs, unit, name, args, port_flag):
        """Starts args under the unit's syscall sandbox: (Popen, port it reported)."""
        seccomp_filter = unit_seccomp_filter(self.units[unit]["Service"])
        return procs.start(name, args, port_flag, preexec_fn=seccomp_filter.load)

    def stop(self, procs, process):
        code = procs.stop(process)
        # -31 (SIGSYS): a system call the filter refused.
        self.assertEqual(code, 0, read(process.log))


def read(path):
    with open(path) as f:
        return f.read()


def http(url, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def backup(port, name):
    import grpc  # Debian's python3-grpcio

    with grpc.insecure_channel("127.0.0.1:%d" % port) as channel:
        # lmdbapi.admin.v1.BackupRequest{name}, encoded by hand: field 1.
        request = b"\x0a" + bytes([len(name)]) + name.encode()
        channel.unary_unary("/lmdbapi.admin.v1.Admin/Backup")(request, timeout=30)


def docker_stages():
    """[[(INSTRUCTION, arguments), ...] per stage] of the Dockerfile."""
    text = re.sub(r"\\\n", " ", read(repo_path("deploy", "docker", "Dockerfile")))
    stages = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, arguments = line.partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        stages[-1].append((instruction.upper(), " ".join(arguments.split())))
    return stages


def runtime_packages():
    r = run([repo_path("scripts", "install-deps"), "--print-runtime"], check=True)
    return set(r.stdout.split())


def packages_of(libraries):
    """{library: the Debian package holding it} for paths as ldd prints them."""
    # Merged /usr: dpkg knows a file by the path its package shipped, /lib/...
    # or /usr/lib/..., so ask for each spelling, in one call (each call reads
    # every package's file list).
    spellings = {}
    for library in libraries:
        for path in (library, os.path.realpath(library)):
            for spelling in (path, re.sub(r"^/usr/", "/", path),
                             re.sub(r"^/lib", "/usr/lib", path)):
                spellings.setdefault(spelling, set()).add(library)
    owners = {}
    # Exit code 1, as some spellings are nobody's.
    for line in run(["dpkg-query", "-S", *spellings]).stdout.splitlines():
        packages, _, path = line.partition(": ")
        for library in spellings.get(path, ()):
            owners[library] = packages.split(",")[0].split(":")[0]
    return owners


class DockerfileTest(unittest.TestCase):
    def setUp(self):
        stages = docker_stages()
        self.build, self.runtime = stages[0], stages[-1]

    def test_build_stage_runs_the_readme_scripts(self):
        self.assertEqual(self.build[0], ("FROM", "debian:12 AS build"))
        runs = [a for i, a in self.build if i == "RUN"]
        self.assertIn("scripts/install-deps --serve", runs)
        self.assertIn("scripts/build --serve", runs)
        self.assertLess(runs.index("scripts/install-deps --serve"),
                        runs.index("scripts/build --serve"))

    def test_runtime_stage_runs_non_root_with_a_volume(self):
        last = dict(self.runtime)  # the last instruction of each kind
        self.assertIn(last["FROM"], ("debian:12", "debian:bookworm"))
        self.assertIn("/tmp/install-deps --runtime",
                      " ".join(a for i, a in self.runtime if i == "RUN"))
        self.assertNotIn(last["USER"].split(":")[0], ("", "0", "root"))
        self.assertEqual(last["VOLUME"], "/var/lib/lmdbapi")
        self.assertEqual(last["EXPOSE"].split(), ["50051", "8080"])
        for setting in ("LMDBAPI_LISTEN=0.0.0.0:50051", "LMDBAPI_HTTP_LISTEN=0.0.0.0:8080",
                        "LMDBAPI_DATA_DIR=/var/lib/lmdbapi/data"):
            self.assertIn(setting, last["ENV"].split())
        self.assertIn("/out/lmdbapi-server /out/lmdbapi-gateway /out/lmdbapi /usr/local/bin/",
                      " ".join(a for i, a in self.runtime if i == "COPY"))
        self.assertEqual(json.loads(last["CMD"]), ["lmdbapi-server"])

    def test_runtime_packages_hold_every_shared_library(self):
        runtime = runtime_packages()
        for binary in (SERVER, GATEWAY, CLI):
            if sanitized(binary):
                self.skipTest("sanitizer build: the image ships the plain one")
            ldd = run(["ldd", binary], check=True).stdout
            libraries = (re.findall(r"=> (/\S+)", ldd) +
                         re.findall(r"^\s*(/\S*ld-linux\S*)", ldd, re.M))
            self.assertTrue(libraries, ldd)
            owners = packages_of(libraries)
            for library in libraries:
                self.assertIn(library, owners, "no package holds " + library)
                self.assertIn(owners[library], runtime | BASE_IMAGE_PACKAGES,
                              "%s needs %s from %s" % (binary, library, owners[library]))

    def test_server_and_command_allocate_with_tcmalloc(self):
        # cmake/LmdbapiAllocator.cmake: a build that lost the link would fall
        # back to glibc's malloc silently (docs/BENCHMARKS.md, "tcmalloc").
        for binary in (SERVER, CLI):
            if sanitized(binary):
                self.skipTest("sanitizer build: ASan's allocator")
            ldd = run(["ldd", binary], check=True).stdout
            self.assertIn("libtcmalloc_minimal.so.4", ldd, binary)

    def test_runtime_packages_are_installed_here(self):
        # The build links against every one, so each is installed here: a
        # renamed package (a new soname) fails here, not in docker build.
        for package in runtime_packages():
            r = run(["dpkg-query", "-W", "-f=${Status}", package])
            self.assertEqual(r.stdout, "install ok installed", package)


# The shards' replica set, as shards.yaml lays it out: the label that tells a
# shard's pods apart (its value is the shard's name in the router's map), and
# the port its replicas replicate on.
SHARD_LABEL = "lmdbapi/shard"
REPLICAS = 3
RAFT_PORT = 7000


class KubernetesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        r = run(["kubectl", "kustomize", repo_path("deploy", "k8s")])
        if r.returncode != 0:
            raise AssertionError("kubectl kustomize deploy/k8s: " + r.stderr)
        cls.objects = {(o["kind"], o["metadata"]["name"]): o
                       for o in yaml.safe_load_all(r.stdout) if o}
        # The shards' StatefulSets, lmdbapi-0, lmdbapi-1, ...
        cls.shards = sorted(
            name for (kind, name), o in cls.objects.items()
            if kind == "StatefulSet"
            and o["metadata"]["labels"].get("app.kubernetes.io/component") == "shard")

    def get(self, kind, name):
        self.assertIn((kind, name), self.objects)
        return self.objects[(kind, name)]

    def pod_labels(self, kind, name):
        return self.get(kind, name)["spec"]["template"]["metadata"]["labels"]

    def pod_spec(self, kind, name):
        return self.get(kind, name)["spec"]["template"]["spec"]

    def containers(self, kind, name):
        return {c["name"]: c for c in self.pod_spec(kind, name)["containers"]}

    def selector(self, shard):
        return self.get("StatefulSet", shard)["spec"]["selector"]

    def selected(self, match_labels):
        """The workloads whose pods carry every label of match_labels."""
        return sorted(key for key in self.objects
                      if key[0] in ("StatefulSet", "Deployment")
                      and match_labels.items() <= self.pod_labels(*key).items())

    def namespace(self):
        return self.get("StatefulSet", self.shards[0])["metadata"]["namespace"]

    def test_yamllint_passes(self):
        r = run(["yamllint", "-c", repo_path("deploy", ".yamllint"), "--strict",
                 repo_path("deploy")])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_each_shard_is_a_statefulset_of_three_replicas(self):
        self.assertEqual(self.shards, ["lmdbapi-0", "lmdbapi-1", "lmdbapi-2"])
        for n, shard in enumerate(self.shards):
            spec = self.get("StatefulSet", shard)["spec"]
            self.assertEqual(spec["replicas"], REPLICAS, shard)
            # The replicas elect a leader once a majority runs: all at once.
            self.assertEqual(spec["podManagementPolicy"], "Parallel", shard)
            self.assertEqual(spec["serviceName"], shard)
            self.assertEqual(self.pod_labels("StatefulSet", shard)[SHARD_LABEL], "shard-%d" % n)
            # The selector takes this shard's pods and no other's.
            self.assertEqual(self.selected(spec["selector"]["matchLabels"]),
                             [("StatefulSet", shard)])

    def test_shards_differ_only_in_their_names(self):
        # shard-0 carries the comments in shards.yaml; the others must be
        # the same objects under their own names.
        def objects_of(shard):
            return {key: o for key, o in self.objects.items()
                    if key[1] in (shard, shard + "-client")}

        first = objects_of(self.shards[0])
        self.assertEqual(sorted(first), [
            ("NetworkPolicy", "lmdbapi-0"), ("PodDisruptionBudget", "lmdbapi-0"),
            ("Service", "lmdbapi-0"), ("Service", "lmdbapi-0-client"),
            ("StatefulSet", "lmdbapi-0")])
        text = json.dumps(sorted(first.items()), sort_keys=True)
        for n, shard in enumerate(self.shards[1:], start=1):
            expected = text.replace("lmdbapi-0", shard).replace("shard-0", "shard-%d" % n) \
                .replace("--shard_tag=0", "--shard_tag=%d" % n)
            self.assertEqual(json.dumps(sorted(objects_of(shard).items()), sort_keys=True),
                             expected, shard)

    def test_each_replica_runs_server_and_gateway_with_probes(self):
        for shard in self.shards:
            containers = self.containers("StatefulSet", shard)
            self.assertEqual(set(containers), {"server", "gateway"})
            server, gateway = containers["server"], containers["gateway"]
            # A shell that adds --replica_id, then the server (exec'd).
            self.assertEqual(server["command"][:2], ["/bin/sh", "-c"])
            self.assertIn("exec lmdbapi-server ", server["command"][2])
            self.assertIn("--listen=0.0.0.0:50051", server["args"])
            self.assertIn("--shard_key=county", server["args"])
            # Startup and liveness ask the server itself (""); readiness
            # asks lmdbapi.ready, NOT_SERVING while a replica catches up.
            for probe in ("startupProbe", "livenessProbe"):
                self.assertEqual(server[probe]["grpc"], {"port": 50051}, probe)
            self.assertEqual(server["readinessProbe"]["grpc"],
                             {"port": 50051, "service": "lmdbapi.ready"})
            self.assertEqual(gateway["command"], ["lmdbapi-gateway"])
            self.assertEqual(gateway["args"],
                             ["-backend=127.0.0.1:50051", "-listen=0.0.0.0:8080"])
            self.assertEqual(gateway["readinessProbe"]["httpGet"]["path"], "/healthz")

    def test_replica_id_is_the_pod_ordinal_plus_one(self):
        # The server container's command, run by this machine's /bin/sh
        # (dash, as in the debian:12 image) with a stand-in lmdbapi-server
        # that prints its arguments.
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "lmdbapi-server"), "w") as f:
                f.write('#!/bin/sh\nprintf "%s\\n" "$@"\n')
            os.chmod(os.path.join(tmp, "lmdbapi-server"), 0o755)
            path = tmp + ":/usr/bin:/bin"
            for shard in self.shards:
                server = self.containers("StatefulSet", shard)["server"]
                self.assertIn({"name": "POD_NAME",
                               "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                              server["env"])
                self.assertFalse([a for a in server["args"] if a.startswith("--replica_id")])
                argv = server["command"] + server["args"]
                for ordinal in range(REPLICAS):
                    pod = "%s-%d" % (shard, ordinal)
                    r = run(argv, env={"PATH": path, "POD_NAME": pod})
                    self.assertEqual((r.returncode, r.stderr), (0, ""), pod)
                    self.assertEqual(r.stdout.splitlines(),
                                     ["--replica_id=%d" % (ordinal + 1)] + server["args"], pod)
                # No ordinal (or no POD_NAME): the server does not start.
                for env in ({"PATH": path, "POD_NAME": "lmdbapi"},
                            {"PATH": path, "POD_NAME": shard + "-x"}, {"PATH": path}):
                    r = run(argv, env=env)
                    self.assertNotEqual(r.returncode, 0, env)
                    self.assertEqual(r.stdout, "", env)

    def test_replicas_are_the_three_pods_of_their_own_shard(self):
        namespace = self.namespace()
        for shard in self.shards:
            server = self.containers("StatefulSet", shard)["server"]
            flags = [a for a in server["args"] if a.startswith("--replicas=")]
            self.assertEqual(len(flags), 1, shard)
            replicas = [item.split("=") for item in flags[0][len("--replicas="):].split(",")]
            self.assertEqual([r[0] for r in replicas],
                             [str(i) for i in range(1, REPLICAS + 1)], shard)
            service = self.get("StatefulSet", shard)["spec"]["serviceName"]
            for replica_id, raft, client in replicas:
                # Replica i is pod i-1, by its name under the governing Service.
                pod = "%s-%d.%s.%s.svc.cluster.local" % (shard, int(replica_id) - 1, service,
                                                         namespace)
                self.assertEqual(raft, "%s:%d" % (pod, RAFT_PORT))
                self.assertEqual(client, pod + ":50051")
            # The raft port is declared, and the log is on the volume.
            self.assertEqual({p["name"]: p["containerPort"] for p in server["ports"]},
                             {"grpc": 50051, "raft": RAFT_PORT})
            self.assertIn("--raft_dir=/var/lib/lmdbapi/raft", server["args"])

    def test_peer_service_names_every_replica_ready_or_not(self):
        for shard in self.shards:
            # The governing Service: the pods' DNS names, published before
            # they are ready so that replicas find each other while starting.
            service = self.get("Service", shard)["spec"]
            self.assertEqual(service["clusterIP"], "None")
            self.assertIs(service["publishNotReadyAddresses"], True)
            self.assertEqual({p["name"]: (p["port"], p["targetPort"]) for p in service["ports"]},
                             {"raft": (RAFT_PORT, "raft"), "grpc": (50051, "grpc")})
            self.assertEqual(self.selected(service["selector"]), [("StatefulSet", shard)])

    def test_client_service_has_only_ready_replicas(self):
        for shard in self.shards:
            service = self.get("Service", shard + "-client")["spec"]
            self.assertEqual(service["clusterIP"], "None")
            self.assertFalse(service.get("publishNotReadyAddresses", False))
            self.assertEqual({p["name"]: (p["port"], p["targetPort"]) for p in service["ports"]},
                             {"grpc": (50051, "grpc"), "http": (8080, "http")})
            self.assertEqual(self.selected(service["selector"]), [("StatefulSet", shard)])

    def test_replicas_of_a_shard_run_on_different_nodes(self):
        for shard in self.shards:
            anti = self.pod_spec("StatefulSet", shard)["affinity"]["podAntiAffinity"]
            terms = anti["requiredDuringSchedulingIgnoredDuringExecution"]
            self.assertEqual(terms, [{"labelSelector": self.selector(shard),
                                      "topologyKey": "kubernetes.io/hostname"}], shard)

    def test_disruption_budgets_keep_a_majority_of_each_shard(self):
        for shard in self.shards:
            budget = self.get("PodDisruptionBudget", shard)["spec"]
            self.assertEqual(budget["minAvailable"], REPLICAS // 2 + 1)
            self.assertEqual(budget["minAvailable"], 2)
            self.assertNotIn("maxUnavailable", budget)
            self.assertEqual(budget["selector"], self.selector(shard))
            self.assertEqual(self.selected(budget["selector"]["matchLabels"]),
                             [("StatefulSet", shard)])
        router = self.get("PodDisruptionBudget", "lmdbapi-router")["spec"]
        self.assertEqual(router["selector"],
                         self.get("Deployment", "lmdbapi-router")["spec"]["selector"])
        budgets = [key for key in self.objects if key[0] == "PodDisruptionBudget"]
        self.assertEqual(len(budgets), len(self.shards) + 1)

    def test_replication_port_admits_only_the_shards_own_pods(self):
        for shard in self.shards:
            policy = self.get("NetworkPolicy", shard)["spec"]
            self.assertEqual(policy["podSelector"], self.selector(shard))
            self.assertEqual(policy["policyTypes"], ["Ingress"])
            rules = {tuple(sorted(p["port"] for p in rule["ports"])): rule.get("from")
                     for rule in policy["ingress"]}
            # gRPC and REST from anywhere, as without the policy.
            self.assertEqual(rules, {(8080, 50051): None,
                                     (RAFT_PORT,): [{"podSelector": self.selector(shard)}]})

    def test_data_lives_on_the_volume_claim_template(self):
        for shard in self.shards:
            claim, = self.get("StatefulSet", shard)["spec"]["volumeClaimTemplates"]
            self.assertEqual(claim["metadata"]["name"], "data")
            server = self.containers("StatefulSet", shard)["server"]
            self.assertIn({"name": "data", "mountPath": "/var/lib/lmdbapi"},
                          server["volumeMounts"])
            self.assertIn("--data_dir=/var/lib/lmdbapi/data", server["args"])
            self.assertIn("--backup_dir=/var/lib/lmdbapi/backups", server["args"])
            # A full map, one compacted backup of it and the replication log
            # (after a bulk load, about the data again) fit on the volume.
            env = {e["name"]: e["value"] for e in server["env"] if "value" in e}
            max_map_gib = float(env["LMDBAPI_MAX_MAP_SIZE_GB"])
            size = claim["spec"]["resources"]["requests"]["storage"]
            self.assertRegex(size, r"^\d+Gi$")
            self.assertLessEqual(3 * max_map_gib, float(size[:-2]))
            self.assertLessEqual(float(env["LMDB_MAP_SIZE_GB"]), max_map_gib)

    def test_router_fans_out_to_every_shard(self):
        containers = self.containers("Deployment", "lmdbapi-router")
        self.assertEqual(set(containers), {"nginx", "fanout", "fanout-gateway"})
        # One address per shard: its client Service (ready replicas); the
        # shard map (mounted from the router's ConfigMap) says which holds
        # each county.
        shards = ",".join("%s-client.%s.svc.cluster.local:50051" % (shard, self.namespace())
                          for shard in self.shards)
        self.assertEqual(containers["fanout"]["args"],
                         ["--shards=" + shards, "--listen=127.0.0.1:50061", "--shard_key=county",
                          "--shard_map=/etc/lmdbapi/router/shard-map.json"])
        self.assertIn({"name": "nginx-conf", "mountPath": "/etc/lmdbapi/router", "readOnly": True},
                      containers["fanout"]["volumeMounts"])
        # Each shard tags its keys with its place in that list.
        for n, shard in enumerate(self.shards):
            server = self.containers("StatefulSet", shard)["server"]
            self.assertIn("--shard_tag=%d" % n, server["args"], shard)
        self.assertEqual(containers["fanout-gateway"]["args"],
                         ["-backend=127.0.0.1:50061", "-listen=127.0.0.1:8081"])
        # The Service's ports reach nginx's listeners.
        self.assertEqual({p["name"]: p["containerPort"] for p in containers["nginx"]["ports"]},
                         {"grpc": 8443, "http": 8080})
        service = self.get("Service", "lmdbapi-router")["spec"]
        self.assertEqual({p["name"]: (p["port"], p["targetPort"]) for p in service["ports"]},
                         {"grpc": (8443, "grpc"), "http": (8080, "http")})
        self.assertEqual(self.selected(service["selector"]), [("Deployment", "lmdbapi-router")])

    def test_router_config_map_is_built_from_nginx_conf(self):
        pod = self.pod_spec("Deployment", "lmdbapi-router")
        volume, = [v for v in pod["volumes"] if v["name"] == "nginx-conf"]
        name = volume["configMap"]["name"]
        self.assertRegex(name, r"^lmdbapi-router-nginx-\w+$")  # + content hash
        self.assertEqual(self.get("ConfigMap", name)["data"],
                         {f: read(repo_path("deploy", "k8s", "router", f))
                          for f in ("nginx.conf", "shard-map.json")})
        nginx = self.containers("Deployment", "lmdbapi-router")["nginx"]
        self.assertIn({"name": "nginx-conf", "mountPath": "/etc/nginx/lmdbapi", "readOnly": True},
                      nginx["volumeMounts"])
        self.assertEqual(nginx["args"][:2], ["-c", "/etc/nginx/lmdbapi/nginx.conf"])

    def test_router_nginx_conf_is_generated_from_the_shard_map(self):
        with tempfile.TemporaryDirectory() as tmp:
            # From the repository root: the header names the map's path.
            run(["/usr/bin/python3", "deploy/router/gen-nginx-conf",
                 "deploy/k8s/router/shard-map.json", "--out", tmp + "/nginx.conf"],
                cwd=REPO, check=True)
            self.assertEqual(read(tmp + "/nginx.conf"),
                             read(repo_path("deploy", "k8s", "router", "nginx.conf")))

    def test_shard_map_matches_the_manifests(self):
        with open(repo_path("deploy", "k8s", "router", "shard-map.json")) as f:
            shard_map = json.load(f)
        namespace = self.namespace()
        self.assertEqual(self.get("Namespace", namespace)["kind"], "Namespace")
        # The map's shard names are the shards' labels; each shard's
        # addresses are its client Service.
        by_label = {self.pod_labels("StatefulSet", s)[SHARD_LABEL]: s for s in self.shards}
        self.assertEqual(sorted(shard_map["shards"]), sorted(by_label))
        for name, entry in shard_map["shards"].items():
            service = "%s-client.%s.svc.cluster.local" % (by_label[name], namespace)
            self.assertEqual((entry["grpc"], entry["rest"]),
                             (service + ":50051", service + ":8080"), name)
        containers = self.containers("Deployment", "lmdbapi-router")
        self.assertIn("--listen=" + shard_map["fanout"]["grpc"], containers["fanout"]["args"])
        # The fan-out server finds each map shard in its --shards by address.
        shards_flag, = [a for a in containers["fanout"]["args"] if a.startswith("--shards=")]
        self.assertEqual(sorted(shards_flag[len("--shards="):].split(",")),
                         sorted(e["grpc"] for e in shard_map["shards"].values()))
        self.assertIn("-listen=" + shard_map["fanout"]["rest"],
                      containers["fanout-gateway"]["args"])
        ports = {p["name"]: p["containerPort"] for p in containers["nginx"]["ports"]}
        self.assertEqual(shard_map["listen"], {"grpc": "0.0.0.0:%d" % ports["grpc"],
                                               "rest": "0.0.0.0:%d" % ports["http"]})
        # nginx runs as 10001 on a read-only root: pid and temp files in the
        # emptyDir at /tmp.
        self.assertEqual(shard_map["run_dir"], "/tmp")

    def test_every_container_runs_non_root_with_resources(self):
        workloads = [key for key in self.objects if key[0] in ("StatefulSet", "Deployment")]
        self.assertEqual(len(workloads), len(self.shards) + 1)
        for kind, name in workloads:
            pod = self.pod_spec(kind, name)
            self.assertTrue(pod["securityContext"]["runAsNonRoot"])
            self.assertEqual(pod["securityContext"]["runAsUser"], 10001)
            for c in pod["containers"]:
                where = name + "/" + c["name"]
                context = c["securityContext"]
                self.assertFalse(context["allowPrivilegeEscalation"], where)
                self.assertTrue(context["readOnlyRootFilesystem"], where)
                self.assertEqual(context["capabilities"]["drop"], ["ALL"], where)
                for kind_of_bound in ("requests", "limits"):
                    self.assertEqual(set(c["resources"][kind_of_bound]), {"cpu", "memory"}, where)
        for shard in self.shards:
            self.assertEqual(self.pod_spec("StatefulSet", shard)["securityContext"]["fsGroup"],
                             10001)


if __name__ == "__main__":
    stack.main(verbosity=2)
