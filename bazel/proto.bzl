# C++ code generation from .proto files with the system protoc / grpc_cpp_plugin (no rules_proto).
# Import paths are rooted at the repository root (`import "tests/storage/test_records.proto";`);
# google/protobuf/*.proto resolve from /usr/include. Generated headers are included by the
# same root-relative path: `#include "tests/storage/test_records.pb.h"`.
# Protos of other repositories (e.g. @googleapis: `import "google/api/annotations.proto";`) and
# generated protos (e.g. lmdbapi_schema's <file>_service.proto) work the same way: protoc gets one
# -I per import root found among the transitive .proto inputs (see protoc_cmd), and their headers
# are included as `google/api/annotations.pb.h` / `proto/examples/permits_service.pb.h`.
#
#   lmdbapi_cc_proto(name, srcs, deps = [], includes = [], **kwargs)
#   lmdbapi_cc_grpc(name, srcs, deps = [], includes = [], mock = False, **kwargs)
#
# srcs: .proto files of THIS package (source files or outputs of a rule of this package).
# deps: other lmdbapi_cc_proto/lmdbapi_cc_grpc targets whose protos are imported. includes: extra absolute protoc -I dirs (import lookup only, no code is
# generated for them). kwargs (visibility, testonly, tags, ...) go to the cc_library `name`.
# lmdbapi_cc_grpc generates messages AND services, so do not also put the same .proto in an
# lmdbapi_cc_proto (duplicate descriptors abort at startup). mock = True adds `<name>_mock`
# (testonly cc_library with <file>_mock.grpc.pb.h, gMock stubs).

_PROTOC = "/usr/bin/protoc"
_GRPC_PLUGIN = "/usr/bin/grpc_cpp_plugin"
_SRCS = "_proto_srcs"  # suffix of the filegroup carrying a target's .proto files (transitively)

def proto_srcs(dep):
    """Label of the filegroup with the transitive .proto files of an lmdbapi_cc_proto/_grpc target.

    "//a/b:c" -> "//a/b:c_proto_srcs", "//a/b" -> "//a/b:b_proto_srcs", ":c" -> ":c_proto_srcs".
    """
    if ":" in dep:
        return dep + _SRCS
    if dep.startswith("@") and "//" not in dep:  # "@repo" == "@repo//:repo"
        return dep + "//:" + dep[1:] + _SRCS
    return dep + ":" + dep.split("/")[-1] + _SRCS

def protoc_root():
    """Import root (and output subdir of $(GENDIR)) of the calling package's repository."""
    repo = native.repository_name().lstrip("@")
    return "external/" + repo if repo else "."

# Shell snippet (genrule cmd): the import root of each file in `$(execpaths <label>)`, one
# `-I<root>` per distinct root. bazel-out/<cfg>/bin/external/<r>/x.proto -> bazel-out/<cfg>/bin/
# external/<r>; bazel-out/<cfg>/bin/x.proto -> bazel-out/<cfg>/bin; external/<r>/x.proto ->
# external/<r>; anything else -> "." (the main repository).
_IMPORT_ROOTS = (
    "$$(for f in $(execpaths %s); do echo $$f; done | sed" +
    " -e 's#^\\(\\(bazel-out/[^/]*/bin/\\)\\{0,1\\}external/[^/]*\\)/.*#\\1#;t'" +
    " -e 's#^\\(bazel-out/[^/]*/bin\\)/.*#\\1#;t' -e 's#.*#.#' | sort -u | sed 's#^#-I#')"
)

def protoc_cmd(srcs_label, files, args, includes = []):
    """Genrule cmd running /usr/bin/protoc on `files` (a list of labels of the calling package).

    srcs_label: a filegroup holding `files` and every .proto they import (transitively); its
    files must be srcs of the genrule. Import path order: the package's own repository root in
    $(GENDIR) (so a generated .proto maps to its root-relative name), the repository root, the
    roots of all transitive inputs (other repositories, generated protos), /usr/include, then
    `includes`. `args` are the output flags (--cpp_out, --plugin, ...).
    """
    root = protoc_root()
    own = ["-I$(GENDIR)" if root == "." else "-I$(GENDIR)/" + root, "-I" + root]
    return " ".join(
        [_PROTOC] + own + [_IMPORT_ROOTS % srcs_label, "-I/usr/include"] +
        ["-I" + i for i in includes] + args +
        ["$(execpath %s)" % f for f in files],
    )

def protoc_out():
    """Output dir argument for --*_out: $(GENDIR) plus the repository root."""
    root = protoc_root()
    return "$(GENDIR)" if root == "." else "$(GENDIR)/" + root

def _gen(name, srcs, deps, includes, grpc, mock, kwargs):
    srcs = [s.lstrip(":") for s in srcs]
    for s in srcs:
        if not s.endswith(".proto") or s.startswith("//") or s.startswith("@"):
            fail("%s: srcs must be .proto files of this package, got %s" % (name, s))
    bases = [s[:-len(".proto")] for s in srcs]
    common = {k: kwargs[k] for k in ("testonly", "tags", "compatible_with") if k in kwargs}

    native.filegroup(
        name = name + _SRCS,
        srcs = srcs + [proto_srcs(d) for d in deps],
        visibility = ["//visibility:public"],
        **common
    )

    hdrs = [b + ".pb.h" for b in bases]
    ccs = [b + ".pb.cc" for b in bases]
    mocks = []
    args = ["--cpp_out=" + protoc_out()]
    if grpc:
        hdrs += [b + ".grpc.pb.h" for b in bases]
        ccs += [b + ".grpc.pb.cc" for b in bases]
        if mock:
            mocks = [b + "_mock.grpc.pb.h" for b in bases]
        args.append("--plugin=protoc-gen-grpc=" + _GRPC_PLUGIN)
        args.append("--grpc_out=%s%s" % ("generate_mock_code=true:" if mock else "", protoc_out()))

    native.genrule(
        name = name + "_gen",
        srcs = srcs + [":" + name + _SRCS],
        outs = hdrs + ccs + mocks,
        cmd = protoc_cmd(":" + name + _SRCS, srcs, args, includes),
        message = "protoc " + " ".join(srcs),
        **common
    )

    native.cc_library(
        name = name,
        srcs = ccs,
        hdrs = hdrs,
        deps = deps + ["@protobuf"] + (["@grpc"] if grpc else []),
        **kwargs
    )
    if mocks:
        native.cc_library(
            name = name + "_mock",
            hdrs = mocks,
            deps = [":" + name, "@gtest"],
            testonly = True,
            visibility = kwargs.get("visibility"),
        )

def lmdbapi_cc_proto(name, srcs, deps = [], includes = [], **kwargs):
    """Messages only: <file>.pb.{h,cc} in cc_library `name` (depends on @protobuf)."""
    _gen(name, srcs, deps, includes, False, False, kwargs)

def lmdbapi_cc_grpc(name, srcs, deps = [], includes = [], mock = False, **kwargs):
    """Messages + services: also <file>.grpc.pb.{h,cc} (depends on @protobuf and @grpc)."""
    _gen(name, srcs, deps, includes, True, mock, kwargs)
