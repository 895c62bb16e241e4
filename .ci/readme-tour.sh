#!/usr/bin/env bash
# The README's API tour is a complete program: the code block after the '<!-- tour: PATH -->' marker must be
# PATH's text exactly (the example itself is built with the solution and run by .ci/packages.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python3 - <<'PY'
import difflib, re, sys
readme = open("README.md", encoding="utf-8").read()
blocks = re.findall(r"<!-- tour: (\S+) -->\n```csharp\n(.*?)```\n", readme, re.S)
if not blocks:
    sys.exit("README.md: no '<!-- tour: PATH -->' code block found")
failed = False
for path, block in blocks:
    source = open(path, encoding="utf-8").read()
    if block != source:
        failed = True
        print(f"README.md's tour block differs from {path}:")
        sys.stdout.writelines(difflib.unified_diff(source.splitlines(True), block.splitlines(True), path, "README.md"))
    else:
        print(f"README.md's tour block is {path}, character for character")
sys.exit(1 if failed else 0)
PY
