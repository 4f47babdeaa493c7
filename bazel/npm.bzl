# npm_swagger_ui: a repository with npm's swagger-ui-dist at the version pinned by
# gateway/swagger-ui/package-lock.json, installed by gateway/npm-install (the script CMake
# runs too). The npm registry is the one network source this project uses; Bazel's own
# downloader stays off (--experimental_repository_disable_download).
#
#   @swagger_ui//:dist   the files each gateway embeds (swagger-ui.css, swagger-ui-bundle.js, ...)

_FILES = [
    "swagger-ui.css",
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "favicon-16x16.png",
    "favicon-32x32.png",
]

def _impl(ctx):
    script = ctx.path(Label("//gateway:npm-install"))
    ctx.path(Label("//gateway:swagger-ui/package-lock.json"))  # re-run when the pin changes
    result = ctx.execute([str(script), str(ctx.path("."))], timeout = 600, quiet = False)
    if result.return_code != 0:
        fail("npm install of swagger-ui-dist failed:\n" + result.stderr)
    ctx.file("BUILD.bazel", """filegroup(
    name = "dist",
    srcs = [%s],
    visibility = ["//visibility:public"],
)
""" % ", ".join(['"node_modules/swagger-ui-dist/%s"' % f for f in _FILES]))

npm_swagger_ui = repository_rule(
    implementation = _impl,
    local = False,
)
