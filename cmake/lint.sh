#!/usr/bin/env bash
# Checks hookline's C++ against the repository's .clang-format and .clang-tidy.
#
#   bash cmake/lint.sh                 # clang-format check, then clang-tidy; non-zero exit on findings
#   bash cmake/lint.sh --fix           # rewrite files with clang-format instead of checking (then tidy)
#   bash cmake/lint.sh --format-only   # only clang-format (fast)
#   bash cmake/lint.sh --tidy-only     # only clang-tidy
#   bash cmake/lint.sh --headers-only  # clang-tidy on every public header (CI): the one-header TUs of
#                                      # the headers no other header includes, which reach all the others
#   bash cmake/lint.sh -p DIR          # build directory holding compile_commands.json (default build/lint,
#                                      # configured here when it has none)
#
# clang-format covers the C++ files under include/ examples/ tests/ benchmarks/. clang-tidy runs on
# every translation unit of the tests, examples and benchmarks, plus the generated one-header TUs of
# tests/CMakeLists.txt, with diagnostics reported for include/hookline headers as well.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

fix=0
format=1
tidy=1
headers_only=0
build="$root/build/lint"
while [ $# -gt 0 ]; do
  case "$1" in
    --fix) fix=1; shift ;;
    --format-only) tidy=0; shift ;;
    --tidy-only) format=0; shift ;;
    --headers-only) format=0; headers_only=1; shift ;;
    -p) build="$2"; shift 2 ;;
    -p=*|--build-dir=*) build="${1#*=}"; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "cmake/lint.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

find_tool() { # the unversioned name, else the newest versioned one
  local name=$1 v
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
  for v in 19 18 17 16 15 14; do
    if command -v "$name-$v" >/dev/null 2>&1; then command -v "$name-$v"; return; fi
  done
  echo "cmake/lint.sh: $name not found (Debian: apt-get install clang-format clang-tidy)" >&2
  exit 2
}

status=0

if [ "$format" = 1 ]; then
  clang_format=$(find_tool clang-format)
  # Tracked and new (not ignored) files; plain find outside a git checkout.
  if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    mapfile -t files < <(git -C "$root" ls-files --cached --others --exclude-standard -- \
      include examples tests benchmarks | grep -E '\.(hpp|cpp|h|cc|ipp)$' | grep -v '/node_modules/' |
      while read -r f; do [ -f "$f" ] && echo "$f"; done)
  else
    mapfile -t files < <(find include examples tests benchmarks -type f \
      \( -name '*.hpp' -o -name '*.cpp' -o -name '*.h' -o -name '*.cc' -o -name '*.ipp' \) \
      -not -path '*/node_modules/*' | sort)
  fi
  if [ "$fix" = 1 ]; then
    echo "== clang-format: rewriting ${#files[@]} files"
    "$clang_format" -i --style=file "${files[@]}"
  else
    echo "== clang-format: checking ${#files[@]} files"
    if ! "$clang_format" --dry-run -Werror --style=file "${files[@]}"; then
      echo "clang-format: the files above differ from .clang-format; fix with: bash cmake/lint.sh --fix --format-only" >&2
      status=1
    fi
  fi
fi

if [ "$tidy" = 1 ]; then
  clang_tidy=$(find_tool clang-tidy)
  if [ ! -f "$build/compile_commands.json" ]; then
    echo "== configuring $build (compile_commands.json for clang-tidy)"
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
      -DHOOKLINE_BUILD_TESTS=ON -DHOOKLINE_BUILD_EXAMPLES=ON -DHOOKLINE_BUILD_BENCHMARKS=ON >/dev/null
  fi
  # The translation units: tests, examples, benchmarks and the generated one-header TUs.
  mapfile -t tus < <(python3 - "$build/compile_commands.json" "$root" "$headers_only" <<'PY'
import json, os, re, sys
db, root, headers_only = sys.argv[1], os.path.realpath(sys.argv[2]), sys.argv[3] == "1"
# With --headers-only, only the one-header TUs of headers no other public header includes: their
# includes reach every header, and the header filter reports each header's findings from whichever TU
# parses it (the same code, analysed once instead of once per includer).
include_re = re.compile(r'^\s*#\s*include\s*<(hookline/[^>]+)>', re.M)
graph = {}  # header -> the hookline headers it includes
for d, _, names in os.walk(os.path.join(root, "include", "hookline")):
    for n in names:
        if n.endswith(".hpp"):
            rel_header = os.path.relpath(os.path.join(d, n), os.path.join(root, "include"))
            with open(os.path.join(d, n)) as f:
                graph[rel_header] = set(include_re.findall(f.read()))
included = set().union(*graph.values())
roots = set(graph) - included
reached, todo = set(), list(roots)
while todo:
    h = todo.pop()
    if h not in reached:
        reached.add(h)
        todo.extend(graph.get(h, ()))
included -= set(graph) - reached  # a header only an include cycle reaches keeps its own TU
seen = set()
for entry in json.load(open(db)):
    path = os.path.realpath(os.path.join(entry.get("directory", ""), entry["file"]))
    rel = os.path.relpath(path, root)
    if "/header_tus/" in path:
        with open(path) as f:
            wanted = not headers_only or not set(include_re.findall(f.read())) <= included
    else:
        wanted = not headers_only and rel.split(os.sep)[0] in ("tests", "examples", "benchmarks")
    if wanted and path not in seen and os.path.exists(path):
        seen.add(path)
        print(path)
PY
  )
  if [ ${#tus[@]} -eq 0 ]; then
    echo "cmake/lint.sh: no translation units in $build/compile_commands.json" >&2
    exit 2
  fi
  jobs=$(nproc 2>/dev/null || echo 2)
  log="$build/clang-tidy.log"
  echo "== clang-tidy: ${#tus[@]} translation units, $jobs at a time (full output: $log)"
  : >"$log"
  # One clang-tidy per TU; each writes its own file, gathered in order afterwards.
  outdir=$(mktemp -d)
  trap 'rm -rf "$outdir"' EXIT
  for i in "${!tus[@]}"; do printf '%s\0%s\0' "${tus[$i]}" "$outdir/$i.log"; done | xargs -0 -n 2 -P "$jobs" sh -c '
    "$0" -p "$1" --quiet --config-file="$2" --header-filter="$3" "$4" >"$5" 2>&1 || echo "$4" >>"$5.failed"
  ' "$clang_tidy" "$build" "$root/.clang-tidy" "^$root/include/hookline/.*" || true
  for i in "${!tus[@]}"; do cat "$outdir/$i.log" >>"$log"; done
  failed=$(cat "$outdir"/*.failed 2>/dev/null || true)
  # Each finding once (a header's finding repeats in every TU that includes it).
  findings=$(grep -E '^[^ ].*:[0-9]+:[0-9]+: (warning|error): ' "$log" | sort -u || true)
  if [ -n "$findings" ]; then
    echo "$findings"
    echo "clang-tidy: $(echo "$findings" | wc -l) finding(s); context in $log" >&2
    status=1
  elif [ -n "$failed" ]; then
    echo "clang-tidy failed on:" >&2
    echo "$failed" >&2
    tail -n 30 "$log" >&2
    status=1
  else
    echo "clang-tidy: no findings"
  fi
fi

exit $status
