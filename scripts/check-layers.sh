#!/usr/bin/env bash
# Checks the module layering of DESIGN.md: a file in src/<mod>/ may include
# its own module's headers and the public header (<m>/<m>.h) of modules
# before it in the order below; src/cli may include every public header.
# Prints one line per violation; exits 1 if there are any.
set -u
cd "$(dirname "$0")/.."
order=(core event parquet store delta exec stream ingest etl warehouse server cli)
bad=0
for ((i = 0; i < ${#order[@]}; i++)); do
  mod=${order[$i]}
  [ -d "src/$mod" ] || continue
  allowed=" "
  for ((j = 0; j < i; j++)); do allowed+="${order[$j]}/${order[$j]}.h "; done
  while IFS=: read -r file line inc; do
    hdr=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$inc")
    case "$hdr" in
      vl_test.h) [[ "$file" == *_test.c ]] && continue ;;
      "$mod"/*) continue ;;
      */*) [[ "$allowed" == *" $hdr "* ]] && continue ;;
      *) [ -f "src/$mod/$hdr" ] && continue ;;
    esac
    echo "$file:$line: src/$mod may not include \"$hdr\""
    bad=1
  done < <(grep -n '#include "' src/"$mod"/*.[ch] 2>/dev/null)
done
exit $bad
