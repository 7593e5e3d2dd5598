#!/bin/bash
# Print the Debian mirror apt is configured with (the first non-security
# "deb" source serving bookworm), read from /etc/apt/sources.list*, so that
# no host name is written into the repository.
set -eu
shopt -s nullglob
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1 == "deb" && $0 ~ /bookworm/ && $0 !~ /security/ {
             for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {
                 print $i; exit } }' "$f"
done | head -1 | grep . && exit 0
for f in /etc/apt/sources.list.d/*.sources; do
    awk 'BEGIN { RS = ""; FS = "\n" }
         /Types:[^\n]*deb([ \n]|$)/ && /Suites:[^\n]*bookworm/ &&
         !/security/ {
             for (i = 1; i <= NF; i++) if ($i ~ /^URIs:/) {
                 split($i, w, /[ \t]+/); print w[2]; exit } }' "$f"
done | head -1 | grep . && exit 0
echo "mirror.sh: no Debian bookworm mirror in /etc/apt/sources.list*" >&2
exit 1
