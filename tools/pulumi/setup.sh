#!/usr/bin/env bash
# Provide the Pulumi engine in .tools/bin: reuse a `pulumi` on PATH at or above the pinned release,
# otherwise build the CLI and our Python language host from Go modules at that release.
# A second run with nothing changed takes well under a second (stamp file).
set -euo pipefail

PINNED="3.274.1"
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="$repo/.tools/bin"
stamp="$bin/.engine-stamp"
mkdir -p "$bin"

say() { printf '[setup] %s\n' "$*" >&2; }

version_ge() {  # version_ge A B: A >= B
  [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$2" ]
}

# 1. A pulumi already installed (not ours) at or above the pin: link it in.
if existing="$(PATH="$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$bin" | paste -sd:)" command -v pulumi 2>/dev/null)"; then
  have="$("$existing" version 2>/dev/null | sed 's/^v//')"
  if [ -n "$have" ] && version_ge "$have" "$PINNED"; then
    if [ "$(readlink "$bin/pulumi" 2>/dev/null)" != "$existing" ]; then
      ln -sfn "$existing" "$bin/pulumi"
      say "using the installed pulumi $have at $existing (pinned: $PINNED)"
    fi
    exit 0
  fi
  say "ignoring pulumi ${have:-of unknown version} at $existing: below the pinned $PINNED"
fi

# 2. Build from Go modules, unless the stamp says this exact build is already there.
inputs_hash="$(cat "$here/go.mod" "$here/go.sum" "$here/setup.sh" $(find "$here/cmd" -type f | sort) | sha256sum | cut -d' ' -f1)"
want="$PINNED $inputs_hash"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$bin/pulumi" ] && [ ! -L "$bin/pulumi" ] \
   && [ -x "$bin/pulumi-language-python" ] && [ -f "$bin/pulumi-language-python-exec" ]; then
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  cat >&2 <<MSG
[setup] error: no Pulumi CLI >= $PINNED on PATH, and no Go toolchain to build one.
        Either install the Pulumi CLI $PINNED or newer (https://www.pulumi.com/docs/install/) so that
        \`pulumi version\` works, or install Go >= 1.26 and run \`make setup\` again to build it from
        the Go module proxy.
MSG
  exit 3
fi

say "building the Pulumi CLI and Python language host v$PINNED from Go modules (first time: several minutes)"
ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PINNED"
export CGO_ENABLED=0
cd "$here"
go mod download
say "  compiling pulumi"
go build -trimpath -tags osusergo,grpcnotrace -ldflags "$ldflags" -o "$bin/pulumi.new" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
say "  compiling pulumi-language-python"
go build -trimpath -tags osusergo -ldflags "$ldflags" -o "$bin/pulumi-language-python.new" ./cmd/pulumi-language-python

# The executor scripts ship inside the sdk/v3 module at the same release; copy them (read-only, no exec bit there).
sdk_dir="$(go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)"
install -m 0755 "$sdk_dir/python/cmd/pulumi-language-python-exec" "$bin/pulumi-language-python-exec"
install -m 0755 "$sdk_dir/python/dist/pulumi-resource-pulumi-python" "$bin/pulumi-resource-pulumi-python"
rm -f "$bin/pulumi" && mv "$bin/pulumi.new" "$bin/pulumi"
mv "$bin/pulumi-language-python.new" "$bin/pulumi-language-python"
echo "$want" > "$stamp"
say "engine ready: $("$bin/pulumi" version)"
