# Module layering (DESIGN.md): includes only go to earlier modules' public headers.
. "$(dirname "$0")/lib.sh"
if out=$("$(dirname "$0")/../../scripts/check-layers.sh"); then
  ok "modules include only their own and earlier modules' public headers"
else
  fail "module layering"; echo "$out"
fi
