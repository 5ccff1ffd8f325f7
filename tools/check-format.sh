#!/usr/bin/env bash
# Fails when a tracked C++ source differs from what clang-format (.clang-format, 100 columns)
# would write, naming the file and the line. Run from anywhere; CLANG_FORMAT picks the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
clang_format=${CLANG_FORMAT:-clang-format}
command -v "$clang_format" >/dev/null || { echo "check-format: $clang_format not found" >&2; exit 2; }
mapfile -t files < <(git ls-files -- '*.h' '*.cc' '*.cpp' '*.hpp')
[ ${#files[@]} -gt 0 ] || { echo "check-format: no C++ sources found" >&2; exit 2; }
"$clang_format" --dry-run -Werror "${files[@]}"
echo "check-format: ${#files[@]} files formatted"
