#!/usr/bin/env bash
# Namespaces follow the folders (docs/architecture.md): fusion/ is ambi::fusion, proto/ is
# ambi::proto, and a part of daemon/, tools/, clients/ or tests/ is ambi::<its folder name>
# (daemon/transport -> ambi::transport). Namespaces nested in the folder's one are its details.
# Another folder's namespace may be opened only to forward-declare its types (or, in the one
# header that includes Boost.Asio, to declare the ambi::asio alias); test helpers under tests/
# may use ambi::<the namespace they test>::testing.
set -u
root=${1:?usage: check_namespaces.sh REPO_ROOT}
cd "$root" || exit 2
status=0

expected_namespace() {  # path -> the namespace its folder names
  case $1 in
    fusion/*) echo ambi::fusion ;;
    proto/*) echo ambi::proto ;;
    daemon/*/* | tools/*/* | clients/*/* | tests/*/*)
      local rest=${1#*/}
      echo "ambi::${rest%%/*}" ;;
    *) echo "" ;;
  esac
}

while IFS= read -r file; do
  expected=$(expected_namespace "$file")
  [ -n "$expected" ] || continue
  # Each column-0 namespace block opened in the file: its name, and whether its body holds
  # anything beyond forward declarations, namespace aliases, comments and blank lines.
  bad=$(awk -v expected="$expected" -v file="$file" '
    function allowed_anyway(name) {
      if (name == expected || index(name, expected "::") == 1) return 1
      if (file ~ /^tests\// && name ~ /^ambi::[a-z_0-9]+::testing$/) return 1
      return 0
    }
    /^namespace [A-Za-z_][A-Za-z_0-9:]* \{/ {
      name = $2
      depth++
      if (depth == 1) { top = name; top_line = NR; defines = 0 }
      if ($0 ~ /\}/) { depth--; if (depth == 0) check() }
      next
    }
    /^namespace \{/ { depth++; if (depth == 1) { top = ""; defines = 1 }; next }
    /^\}  \/\/ namespace/ { depth--; if (depth == 0) check(); next }
    depth >= 1 {
      line = $0
      if (line ~ /^[ \t]*$/ || line ~ /^[ \t]*\/\//) next
      if (line ~ /^(class|struct|enum class|enum) [A-Za-z_0-9]+( : [A-Za-z_0-9:]+)?;$/) next
      if (line ~ /^namespace [A-Za-z_0-9]+ = [A-Za-z_0-9:]+;$/) next
      defines = 1
    }
    function check() {
      if (top == "" || top !~ /^ambi(::|$)/) return
      if (allowed_anyway(top)) return
      if (!defines) return
      printf "%s:%d: namespace %s (this folder declares into %s)\n", file, top_line, top, expected
    }
  ' "$file")
  if [ -n "$bad" ]; then
    echo "namespaces: $bad"
    status=1
  fi
done < <(find fusion proto daemon tools clients tests \( -name '*.h' -o -name '*.cc' \) \
           -not -path '*/node_modules/*' | sort)

[ $status -eq 0 ] && echo "namespaces: every folder declares into its own namespace"
exit $status
