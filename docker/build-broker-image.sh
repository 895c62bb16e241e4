#!/usr/bin/env bash
# Builds the container image of the bundled broker, reactivekafka/broker:local, without any registry:
# publishes the server for linux-x64, assembles a minimal root filesystem (the published files plus
# exactly the shared libraries they link against, found with ldd), and `docker import`s its tarball.
# (docker/Dockerfile is the conventional build for machines that can pull from mcr.microsoft.com.)
#
# Usage: docker/build-broker-image.sh [image-tag]        (default reactivekafka/broker:local)
# Environment:
#   BROKER_IMAGE_TRIM=0   do not trim the framework (bigger image; use if trimming ever breaks something)
#   BROKER_IMAGE_WORK=DIR where publish output and the root filesystem go (default artifacts/broker-image)
#
# The image: ENTRYPOINT /app/reactivekafka-broker, CMD --data-dir /data --listen 0.0.0.0:9092,
# EXPOSE 9092, runs as the unprivileged user app (uid 1654, like Microsoft's .NET images); /data is
# owned by that user (a mounted volume must be writable by uid 1654).
# Run it with: docker run --rm -p 9092:9092 reactivekafka/broker:local
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE="${1:-reactivekafka/broker:local}"
WORK="${BROKER_IMAGE_WORK:-artifacts/broker-image}"
WORK="$(mkdir -p "$WORK" && cd "$WORK" && pwd)"
PUBLISH="$WORK/publish"
ROOTFS="$WORK/rootfs"
APP_UID=1654
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '[build-broker-image] %s\n' "$*"; }
command -v docker >/dev/null || { echo "docker CLI not found" >&2; exit 1; }
command -v ldd >/dev/null || { echo "ldd not found (libc-bin)" >&2; exit 1; }
[ "$(uname -m)" = x86_64 ] || { echo "this script builds a linux-x64 image and must run on x86_64" >&2; exit 1; }

rm -rf "$PUBLISH" "$ROOTFS"

# 1. Publish. A separate artifacts path keeps the RID-specific restore out of the projects' obj/ folders,
#    so concurrent ordinary builds are not disturbed.
common=(src/ReactiveKafka.Broker.Server -c Release -r linux-x64 -p:InvariantGlobalization=true
        -p:DebugType=none -p:GenerateDocumentationFile=false --artifacts-path "$WORK/build" -o "$PUBLISH")
trim=()
if [ "${BROKER_IMAGE_TRIM:-1}" != 0 ]; then
    # Partial trimming: only the framework and packages that declare themselves trimmable are trimmed;
    # the broker's own assemblies (which use reflection on protocol types) are kept whole.
    trim=(-p:PublishTrimmed=true -p:TrimMode=partial -p:EnableTrimAnalyzer=false -p:SuppressTrimAnalysisWarnings=true)
fi
mode=self-contained
if ! dotnet publish "${common[@]}" --self-contained "${trim[@]}" >"$WORK/publish.log" 2>&1; then
    log "self-contained publish failed (runtime pack not restorable?); last lines:"
    tail -n 5 "$WORK/publish.log" | sed 's/^/    /'
    log "falling back to framework-dependent + this machine's shared runtime"
    mode=framework-dependent
    rm -rf "$PUBLISH"
    dotnet publish "${common[@]}" --no-self-contained -p:UseAppHost=true >"$WORK/publish.log" 2>&1 \
        || { tail -n 30 "$WORK/publish.log" >&2; exit 1; }
fi
log "published ($mode$([ ${#trim[@]} -gt 0 ] && [ $mode = self-contained ] && echo ', framework trimmed')) to $PUBLISH"

# 2. Root filesystem: /app (the server), the runtime (framework-dependent only), libraries, /etc, /tmp, /data.
mkdir -p "$ROOTFS"/{app,etc,tmp,data}
chmod 1777 "$ROOTFS/tmp"
# Files the server never needs in a container: debugger/diagnostics support, alternative GCs, LTTng
# tracing, docs. Without libSystem.Security.Cryptography.Native.OpenSsl (and OpenSSL) anything that
# uses TLS or crypto would fail; the broker uses neither.
skip='^(libmscordaccore\.so|libmscordbi\.so|libcoreclrtraceptprovider\.so|libclrgc\.so|libclrgcexp\.so|createdump|libSystem\.Security\.Cryptography\.Native\.OpenSsl\.so|libSystem\.Net\.Security\.Native\.so|.*\.pdb|.*\.dbg|.*\.xml)$'
copy_tree() { # copy_tree SRC DEST: the files of SRC minus the skipped ones
    (cd "$1" && find . -type f | sed 's|^\./||' | grep -Ev "$skip" | grep -Ev '(^|/)[^/]*\.(pdb|dbg|xml)$' \
        | while read -r f; do mkdir -p "$2/$(dirname "$f")"; cp -p "$f" "$2/$f"; done)
}
copy_tree "$PUBLISH" "$ROOTFS/app"
if [ $mode = framework-dependent ]; then
    dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
    fx_version="$(sed -n 's/.*"Microsoft.NETCore.App".*"version": *"\([^"]*\)".*/\1/p;' "$PUBLISH/reactivekafka-broker.runtimeconfig.json" | head -1)"
    # The machine's newest runtime of the same major.minor (roll-forward would pick it anyway).
    fx_dir="$(ls -d "$dotnet_root/shared/Microsoft.NETCore.App/${fx_version%.*}".* 2>/dev/null | sort -V | tail -1)"
    [ -n "$fx_dir" ] || { echo "no Microsoft.NETCore.App ${fx_version%.*}.x under $dotnet_root/shared" >&2; exit 1; }
    mkdir -p "$ROOTFS/usr/share/dotnet/host/fxr" "$ROOTFS/usr/share/dotnet/shared/Microsoft.NETCore.App"
    cp -a "$dotnet_root/host/fxr/." "$ROOTFS/usr/share/dotnet/host/fxr/"
    copy_tree "$fx_dir" "$ROOTFS/usr/share/dotnet/shared/Microsoft.NETCore.App/$(basename "$fx_dir")"
fi

# Every ELF file's libraries, as ldd resolves them on this machine, copied to the same paths.
mapfile -t elves < <(find "$ROOTFS" -type f \( -name '*.so' -o -name 'reactivekafka-broker' \))
mapfile -t libs < <(for f in "${elves[@]}"; do ldd "$f" 2>/dev/null; done \
    | awk '/=> \// { print $3 } /^[ \t]*\/[^ ]+ \(0x/ { print $1 }' | sort -u)
for lib in "${libs[@]}"; do
    mkdir -p "$ROOTFS$(dirname "$lib")"
    cp -L "$lib" "$ROOTFS$lib"
done
missing="$(for f in "${elves[@]}"; do ldd "$f" 2>/dev/null | grep 'not found' || true; done)"
[ -z "$missing" ] || { echo "unresolved libraries:" >&2; echo "$missing" >&2; exit 1; }
log "libraries: ${libs[*]}"

cat >"$ROOTFS/etc/passwd" <<EOF
root:x:0:0:root:/root:/sbin/nologin
app:x:$APP_UID:$APP_UID:app:/data:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
EOF
cat >"$ROOTFS/etc/group" <<EOF
root:x:0:
app:x:$APP_UID:
nogroup:x:65534:
EOF
printf 'hosts: files dns\n' >"$ROOTFS/etc/nsswitch.conf"

# 3. Tar (root-owned, /data owned by app) and import.
tarball="$WORK/rootfs.tar"
tar -C "$ROOTFS" --numeric-owner --owner=0 --group=0 --exclude=./data -cf "$tarball" .
tar -C "$ROOTFS" --numeric-owner --owner=$APP_UID --group=$APP_UID -rf "$tarball" ./data

env_changes=(--change 'ENV DOTNET_EnableDiagnostics=0' --change 'ENV DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1')
if [ $mode = framework-dependent ]; then
    env_changes+=(--change 'ENV DOTNET_ROOT=/usr/share/dotnet')
fi
docker import \
    --change 'ENTRYPOINT ["/app/reactivekafka-broker"]' \
    --change 'CMD ["--data-dir", "/data", "--listen", "0.0.0.0:9092"]' \
    --change 'EXPOSE 9092' \
    --change 'WORKDIR /data' \
    --change "USER $APP_UID" \
    "${env_changes[@]}" \
    --message "reactivekafka-broker ($mode, built by docker/build-broker-image.sh)" \
    "$tarball" "$IMAGE" >/dev/null
rm -f "$tarball"

size_bytes="$(docker image inspect --format '{{.Size}}' "$IMAGE")"
log "built $IMAGE: $((size_bytes / 1024 / 1024)) MiB ($size_bytes bytes), $(find "$ROOTFS" -type f | wc -l) files"
