#!/usr/bin/env bash
# Writes the public API change of the projects that track theirs: each symbol the analyzer reports as new (RS0016) is
# added to the project's PublicAPI.Unshipped.txt, each one reported as gone (RS0017) is removed from it.
# Usage: .ci/public-api.sh   (a few builds; then review the diff of src/*/PublicAPI.Unshipped.txt: it is the API change)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
# A project that fails the check keeps the projects depending on it from building: repeat until nothing changes.
for _ in 1 2 3 4 5; do
  dotnet build ReactiveKafka.sln -c Release -nologo >"$out" 2>&1 || true
  python3 - "$out" <<'PY' || break
import collections, os, re, sys
added, removed = collections.defaultdict(set), collections.defaultdict(set)
pattern = re.compile(r"(RS0016|RS0017): Symbol '(.+?)' (?:is not part of the declared public API|is part of the declared API).*\[(.+?\.csproj)\]")
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    m = pattern.search(line)
    if m:
        (added if m.group(1) == "RS0016" else removed)[os.path.dirname(m.group(3))].add(m.group(2))
for project in sorted(set(added) | set(removed)):
    path = os.path.join(project, "PublicAPI.Unshipped.txt")
    lines = [l.rstrip("\n") for l in open(path, encoding="utf-8")] if os.path.exists(path) else ["#nullable enable"]
    header = [l for l in lines if l.startswith("#")]
    body = ({l for l in lines if l and not l.startswith("#")} - removed[project]) | added[project]
    # A removed member that had shipped is written as a *REMOVED* line, as the analyzer's own code fix does.
    shipped = os.path.join(project, "PublicAPI.Shipped.txt")
    shipped_lines = {l.rstrip("\n") for l in open(shipped, encoding="utf-8")} if os.path.exists(shipped) else set()
    body |= {"*REMOVED*" + s for s in removed[project] if s in shipped_lines}
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(header + sorted(body, key=lambda s: s.removeprefix("*REMOVED*"))) + "\n")
    print(f"{path}: +{len(added[project])} -{len(removed[project])}")
sys.exit(0 if added or removed else 1)
PY
done
