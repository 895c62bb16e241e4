#!/usr/bin/env bash
# The NuGet packages as a user gets them: packs every packable project of the solution into a local feed, checks each
# package's metadata (license, readme, symbols, repository commit), installs the standalone broker from that feed as a
# dotnet tool and runs it, then builds the README's tour (examples/Tour) outside the repository against the packages
# (PackageReference, no project references) and runs it against the tool's broker; finally stops the broker and
# verifies its data directory with the tool's verify command.
# Usage: .ci/packages.sh   (expects `dotnet build ReactiveKafka.sln -c Release` done)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# A version of its own per run: the global packages folder never serves a stale copy of an earlier run's package.
suffix="ci.$(date +%Y%m%d%H%M%S).$$"
version="$(dotnet msbuild src/ReactiveKafka/ReactiveKafka.csproj -getProperty:VersionPrefix)-$suffix"
tmp="$(mktemp -d)"
feed="$tmp/feed"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
  # This run's packages in the global packages folder (ids are lower-cased there); nothing else is touched.
  rm -rf "${NUGET_PACKAGES:-$HOME/.nuget/packages}"/reactivekafka*/"$version"
}
trap cleanup EXIT

echo "packing $version into $feed"
dotnet pack ReactiveKafka.sln -c Release --no-build -o "$feed" --version-suffix "$suffix" -nologo -v quiet

# Every library of src/ is a package (new projects there are packable unless they say otherwise), and the broker a tool.
python3 - "$feed" "$version" <<'PY'
import glob, os, re, sys, zipfile
feed, version = sys.argv[1], sys.argv[2]
expected = {"ReactiveKafka", "ReactiveKafka.Protocol", "ReactiveKafka.Broker", "ReactiveKafka.Testing", "reactivekafka-broker"}
if os.path.isdir("src/ReactiveKafka.Hosting"):
    expected.add("ReactiveKafka.Hosting")
found = {os.path.basename(p)[: -len(f".{version}.nupkg")] for p in glob.glob(f"{feed}/*.{version}.nupkg")}
missing = expected - found
if missing:
    sys.exit(f"packages missing from the feed: {sorted(missing)} (found {sorted(found)})")
failed = []
for package in sorted(found):
    path = f"{feed}/{package}.{version}.nupkg"
    with zipfile.ZipFile(path) as z:
        nuspec = z.read(next(n for n in z.namelist() if n.endswith(".nuspec"))).decode("utf-8")
        names = z.namelist()
    checks = {
        "license Apache-2.0": '<license type="expression">Apache-2.0</license>' in nuspec,
        "readme": "<readme>README.md</readme>" in nuspec and "README.md" in names,
        "description": re.search(r"<description>[^<]{10,}</description>", nuspec) is not None,
        "repository commit (SourceLink)": re.search(r'<repository [^>]*commit="[0-9a-f]{40}"', nuspec) is not None,
        "symbols (.snupkg)": os.path.exists(f"{feed}/{package}.{version}.snupkg"),
        "XML docs": package == "reactivekafka-broker" or any(n.endswith(f"/{package}.xml") for n in names),
    }
    if package == "reactivekafka-broker":
        checks["dotnet tool"] = "<packageType name=\"DotnetTool\" />" in nuspec
    bad = [name for name, ok in checks.items() if not ok]
    print(f"{package} {version}: {'ok' if not bad else 'MISSING ' + ', '.join(bad)}")
    if bad:
        failed.append(package)
sys.exit(1 if failed else 0)
PY

echo "installing the broker as a dotnet tool from the local feed"
dotnet tool install reactivekafka-broker --version "$version" --tool-path "$tmp/tools" --add-source "$feed" >/dev/null
broker="$tmp/tools/reactivekafka-broker"
"$broker" --help | head -n 3

log="$tmp/broker.log"
"$broker" --data-dir "$tmp/data" --listen 127.0.0.1:0 >"$log" 2>&1 &
server_pid=$!
addr=""
for _ in $(seq 1 120); do
  addr="$(sed -n 's/^READY //p' "$log" | head -n1)"
  [[ -n "$addr" ]] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.5
done
[[ -n "$addr" ]] || { echo "the installed tool did not start"; cat "$log"; exit 1; }
echo "reactivekafka-broker (installed tool) at $addr"

# A user's project outside the repository: no Directory.Build.props, no central versions, the local feed added to
# the machine's sources. It references the packages only (Confluent.Kafka and System.Reactive come with ReactiveKafka).
app="$tmp/tour"
mkdir -p "$app"
cp examples/Tour/Program.cs "$app/"
cat >"$app/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="local-feed" value="$feed" />
  </packageSources>
</configuration>
XML
library_refs=""
for package in "$feed"/*."$version".nupkg; do
  id="$(basename "$package" ".$version.nupkg")"
  [[ "$id" == reactivekafka-broker ]] && continue
  library_refs+="    <PackageReference Include=\"$id\" Version=\"$version\" />"$'\n'
done
cat >"$app/Tour.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
  </PropertyGroup>
  <ItemGroup>
$library_refs  </ItemGroup>
</Project>
XML
echo "building examples/Tour against the packages:"
sed -n 's/.*<PackageReference Include="\([^"]*\)".*/  \1/p' "$app/Tour.csproj"
dotnet build "$app/Tour.csproj" -c Release -nologo -v quiet
if grep -q ProjectReference "$app/Tour.csproj"; then echo "the packaged tour must not use project references"; exit 1; fi
timeout 180 dotnet run --no-build -c Release --project "$app/Tour.csproj" -- "$addr"

echo "stopping the tool's broker (SIGTERM) and verifying its data directory"
kill -TERM "$server_pid"
wait "$server_pid" || { echo "reactivekafka-broker exited with $? on SIGTERM"; cat "$log"; exit 1; }
server_pid=""
"$broker" verify --data-dir "$tmp/data"
echo "packages ok: $version"
