# lmdbapi_dependencies(): every external repository lmdbapi's targets use, for lmdbapi's own
# WORKSPACE and for a workspace that uses lmdbapi as an external repository:
#
#   local_repository(name = "lmdbapi", path = "/path/to/lmdbapi")   # or http_archive(...)
#   load("@lmdbapi//bazel:deps.bzl", "lmdbapi_dependencies")
#   lmdbapi_dependencies()
#
# Offline Bazel 4 (Debian's bazel-bootstrap; no Bzlmod): nothing is downloaded. The libraries
# come from Debian packages through pkg-config (system_library), Swagger UI from the npm
# registry. Bazel's built-in WORKSPACE suffix wants rules_cc, rules_java and
# remote_coverage_tools, so they point at tiny stand-ins in lmdbapi's third_party/bazel/.
# Repositories that are already defined (by the caller, earlier) are left as they are.

load("//third_party/bazel:system_library.bzl", "system_library")
load("//bazel:npm.bzl", "npm_swagger_ui")

def _stand_in_impl(ctx):
    # A copy (symlinks) of one of lmdbapi's in-tree directories, found by a file in it: a
    # path that works wherever lmdbapi itself is.
    directory = ctx.path(ctx.attr.marker).dirname
    for child in directory.readdir():
        ctx.symlink(child, child.basename)

_stand_in = repository_rule(
    implementation = _stand_in_impl,
    attrs = {"marker": attr.label(allow_single_file = True)},
)

def _local_protos_impl(ctx):
    # new_local_repository, but the BUILD file's loads of lmdbapi's .bzl ("@//bazel:...") are
    # pointed at lmdbapi's repository, wherever it is.
    for child in ctx.path(ctx.attr.path).readdir():
        ctx.symlink(child, child.basename)
    ctx.template("BUILD.bazel", ctx.attr.build_file, {"@//": ctx.attr.lmdbapi + "//"})

_local_protos = repository_rule(
    implementation = _local_protos_impl,
    attrs = {
        "path": attr.string(mandatory = True),
        "build_file": attr.label(allow_single_file = True),
        "lmdbapi": attr.string(mandatory = True),
    },
    local = True,
)

# "@" in lmdbapi's own workspace, "@lmdbapi" (the name the caller gave it) in another.
def _lmdbapi_repo():
    here = Label("//bazel:deps.bzl")
    return "@" + here.workspace_name if here.workspace_root else "@"

def _stand_ins():
    for name in ["rules_cc", "rules_java", "remote_coverage_tools"]:
        if name not in native.existing_rules():
            _stand_in(
                name = name,
                marker = Label("//third_party/bazel:%s/WORKSPACE" % name),
            )

def lmdbapi_dependencies():
    """Defines the repositories lmdbapi needs (see the top of this file)."""
    _stand_ins()

    # Each repo exposes a target named like the repo (`@lmdb` == `@lmdb//:lmdb`).
    system_library(name = "lmdb", modules = ["lmdb"])

    # libfuse3: tests/power_loss's power-cut file system.
    system_library(name = "fuse3", modules = ["fuse3"], linkopts = ["-lpthread"])

    system_library(name = "protobuf", modules = ["protobuf"], linkopts = ["-lpthread"])

    # libprotoc (protoc plugins): has no .pc file of its own.
    system_library(name = "protoc_lib", modules = ["protobuf"], linkopts = ["-lprotoc", "-lpthread"])

    system_library(name = "grpc", modules = ["grpc++", "grpc", "protobuf"], linkopts = ["-lpthread"])

    # libcrypto (Debian's libssl-dev, which gRPC needs too): the server's JWT signature
    # checks (server/access) and the check of its TLS key against its certificate at
    # start (server/process/tls_files.h).
    system_library(name = "openssl", modules = ["libcrypto"])

    system_library(
        name = "absl",
        modules = [
            "absl_base",
            "absl_status",
            "absl_statusor",
            "absl_strings",
            "absl_str_format",
            "absl_cord",
            "absl_synchronization",
            "absl_time",
            "absl_flags",
            "absl_flags_parse",
            "absl_random_random",
            "absl_hash",
            "absl_flat_hash_map",
            "absl_flat_hash_set",
            "absl_node_hash_map",
            "absl_btree",
            "absl_inlined_vector",
            "absl_fixed_array",
            "absl_span",
            "absl_optional",
            "absl_variant",
            "absl_memory",
            "absl_cleanup",
            "absl_any_invocable",
            "absl_function_ref",
            "absl_bind_front",
            "absl_algorithm_container",
            "absl_debugging",
            "absl_stacktrace",
            "absl_symbolize",
            "absl_failure_signal_handler",
        ],
        linkopts = ["-lpthread"],
    )

    # prometheus-cpp's core (Debian's prometheus-cpp-dev, a test package of scripts/install-deps):
    # only //bench:metrics_bench, which CMake builds where its CMake package is found.
    system_library(name = "prometheus_cpp", modules = ["prometheus-cpp-core"], linkopts = ["-lpthread"])

    # libraft and libuv (Debian's libraft-dev and libuv1-dev): replicated
    # shards (//server, server/replication) and //bench:raft_spike.
    system_library(name = "libraft", modules = ["raft", "libuv"], linkopts = ["-lpthread"])

    system_library(
        name = "gtest",
        modules = ["gtest", "gmock"],
        linkopts = ["-lpthread"],
        extra_targets = {
            "gtest_main": ["gtest_main"],
            "gmock_main": ["gmock_main"],
        },
    )

    # google/api/{http,annotations}.proto (imported by every generated <schema>_service.proto) from
    # the golang-github-grpc-ecosystem-grpc-gateway package; @googleapis//:api_proto compiles them
    # (alias //proto:googleapis_proto). Same directory as CMake's LMDBAPI_GOOGLEAPIS.
    _local_protos(
        name = "googleapis",
        lmdbapi = _lmdbapi_repo(),
        path = "/usr/share/gocode/src/github.com/grpc-ecosystem/grpc-gateway/third_party/googleapis",
        build_file = Label("//third_party/bazel:googleapis.BUILD"),
    )

    # grpc/reflection/v1alpha/reflection.proto (served by server/process/reflection_service.h) from the
    # golang-google-grpc-dev package. Same directory as CMake's LMDBAPI_GRPC_REFLECTION.
    _local_protos(
        name = "grpc_reflection_proto",
        lmdbapi = _lmdbapi_repo(),
        path = "/usr/share/gocode/src/google.golang.org/grpc/reflection",
        build_file = Label("//third_party/bazel:grpc_reflection.BUILD"),
    )

    # grpc/health/v1/health.proto (served by server/process/health_service.h) from the same
    # package. Same directory as CMake's LMDBAPI_GRPC_HEALTH.
    _local_protos(
        name = "grpc_health_proto",
        lmdbapi = _lmdbapi_repo(),
        path = "/usr/share/gocode/src/google.golang.org/grpc/debian/missing-sources/grpc/grpc-proto/master",
        build_file = Label("//third_party/bazel:grpc_health.BUILD"),
    )

    # Swagger UI (npm's swagger-ui-dist), embedded in every schema's REST gateway.
    npm_swagger_ui(name = "swagger_ui")
