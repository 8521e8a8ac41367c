#!/usr/bin/env bash
# Makes a hookline release from a clean checkout:
#
#   bash cmake/release.sh VERSION            # e.g. 0.2.0
#   bash cmake/release.sh VERSION --out DIR  # where the archive goes (default build/release-archive)
#
# 1. writes VERSION into CMakeLists.txt's project(VERSION) (the only place the version lives), commits
#    "release: hookline VERSION" and tags it vVERSION (annotated);
# 2. makes the source archive of that tag with `git archive` (hookline-VERSION.tar.gz, top folder
#    hookline-VERSION/): the file to attach to the vVERSION release as
#    HOMEPAGE_URL/releases/download/vVERSION/hookline-VERSION.tar.gz (HOMEPAGE_URL from project());
# 3. writes that URL and the archive's hashes into the vcpkg port (ports/hookline: version, URL,
#    SHA512), the Conan recipe (conanfile.py version, conandata.yml url and sha256) and the
#    FetchContent snippet of docs/packaging.md (URL, SHA512), and commits "packaging: hookline VERSION".
# Push both commits and the tag, then upload the archive. ctest package.versions_agree checks that
# every file names the same version and URL, and package.release runs this script in a scratch clone.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

version=""
out="$root/build/release-archive"
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --out=*) out="${1#*=}"; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    -*) echo "cmake/release.sh: unknown option $1" >&2; exit 2 ;;
    *) [ -z "$version" ] || { echo "cmake/release.sh: one VERSION only" >&2; exit 2; }; version="$1"; shift ;;
  esac
done
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "cmake/release.sh: VERSION must be MAJOR.MINOR.PATCH (digits), not '${version}'" >&2
  exit 2
fi
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "cmake/release.sh: the checkout has uncommitted changes; commit or stash them first" >&2
  exit 1
fi
if git rev-parse -q --verify "refs/tags/v$version" >/dev/null; then
  echo "cmake/release.sh: tag v$version exists already" >&2
  exit 1
fi

homepage=$(sed -n 's/.*HOMEPAGE_URL "\([^"]*\)".*/\1/p' CMakeLists.txt | head -n1)
[ -n "$homepage" ] || { echo "cmake/release.sh: no HOMEPAGE_URL in CMakeLists.txt's project()" >&2; exit 1; }
name="hookline-$version"
url="$homepage/releases/download/v$version/$name.tar.gz"

# 1. The version, in its one place.
sed -i -E "s/^(project\(hookline VERSION )[0-9]+\.[0-9]+\.[0-9]+/\1$version/" CMakeLists.txt
grep -q "^project(hookline VERSION $version " CMakeLists.txt ||
  { echo "cmake/release.sh: could not set the version in CMakeLists.txt" >&2; exit 1; }
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  git commit -q -m "release: hookline $version" CMakeLists.txt
fi
git tag -a "v$version" -m "hookline $version"

# 2. The archive, from the tag.
mkdir -p "$out"
archive="$out/$name.tar.gz"
git archive --format=tar.gz --prefix="$name/" -o "$archive" "v$version"
sha512=$(sha512sum "$archive" | cut -d' ' -f1)
sha256=$(sha256sum "$archive" | cut -d' ' -f1)

# 3. The recipes and the snippet.
python3 - "$version" "$url" "$sha512" "$sha256" <<'PY'
import json, re, sys
version, url, sha512, sha256 = sys.argv[1:]

def rewrite(path, pattern, replacement, count=1):
    text = open(path, encoding="utf-8").read()
    new, n = re.subn(pattern, replacement, text, flags=re.M)
    if n != count:
        sys.exit(f"cmake/release.sh: {path}: expected {count} match(es) of {pattern!r}, found {n}")
    open(path, "w", encoding="utf-8").write(new)

manifest = json.load(open("ports/hookline/vcpkg.json", encoding="utf-8"))
manifest["version"] = version
open("ports/hookline/vcpkg.json", "w", encoding="utf-8").write(json.dumps(manifest, indent=2) + "\n")
rewrite("ports/hookline/portfile.cmake", r'^(\s*URLS )"[^"]*"', rf'\1"{url}"')
rewrite("ports/hookline/portfile.cmake", r'^(\s*FILENAME )"[^"]*"', r'\1"hookline-${VERSION}.tar.gz"')
rewrite("ports/hookline/portfile.cmake", r'^(\s*SHA512 )[0-9a-f]+', rf'\g<1>{sha512}')
rewrite("conanfile.py", r'^(    version = )"[^"]*"', rf'\1"{version}"')
with open("conandata.yml", "w", encoding="utf-8") as f:
    f.write("# Written by cmake/release.sh: the release archive the recipe builds when used outside this\n"
            "# repository (a registry copy of the recipe); inside it, the exported sources are used.\n"
            f'sources:\n  "{version}":\n    url: "{url}"\n    sha256: "{sha256}"\n')
rewrite("docs/packaging.md", r'^(  URL )\S+', rf'\g<1>{url}')
rewrite("docs/packaging.md", r'^(  URL_HASH SHA512=)[0-9a-f]+', rf'\g<1>{sha512}')
rewrite("docs/packaging.md", r'^(  # or: GIT_REPOSITORY \S+ +GIT_TAG )v[0-9.]+', rf'\g<1>v{version}')
PY
git add ports/hookline/vcpkg.json ports/hookline/portfile.cmake conanfile.py conandata.yml docs/packaging.md
git commit -q -m "packaging: hookline $version (archive $name.tar.gz, sha512 ${sha512:0:16}…)"

echo "hookline $version: tag v$version, archive $archive"
echo "  sha512 $sha512"
echo "  upload it as $url, then push: git push && git push origin v$version"
