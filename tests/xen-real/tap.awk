# serial.log ("[SECONDS] TEXT" lines) -> TAP, one test per check that
# dom0 announced ("XENREAL expect") or reported. An expected check with no
# result fails; so does a boot that never reached dom0's init or its end.
function add(c) { if (!(c in seen)) { seen[c] = 1; order[++n] = c } }
function rest(from,   i, s) {
    s = ""
    for (i = from; i <= NF; i++) s = s (s == "" ? "" : " ") $i
    return s
}
{
    gsub(/\r/, "")
    host = ""
    if (match($0, /^\[ *[0-9.]+\] /)) {
        host = substr($0, 2, RLENGTH - 3); gsub(/ /, "", host)
        $0 = substr($0, RLENGTH + 1)
    }
}
$1 != "XENREAL" { next }
$2 == "expect" { add($3) }
$2 == "ok" { add($3); if (res[$3] != "not ok") res[$3] = "ok"; note[$3] = rest(4) }
$2 == "not" && $3 == "ok" { add($4); res[$4] = "not ok"; note[$4] = rest(5) }
$2 == "time" {
    times = times sprintf("# time %-28s %8s s (host clock %s s)\n", $3, $4, host)
    if ($3 == "dom0.init") boot = host
}
$2 == "end" && ended == "" { ended = host != "" ? host : "?" }
$2 == "log" || $2 == "info" { diag = diag "# " rest(2) "\n" }
END {
    printf "1..%d\n", n + 2
    if (boot != "") printf "ok 1 rig.dom0-boot (%s s)\n", boot
    else print "not ok 1 rig.dom0-boot dom0 init never ran"
    for (i = 1; i <= n; i++) {
        c = order[i]
        if (!(c in res)) printf "not ok %d %s no result\n", i + 1, c
        else printf "%s %d %s%s\n", res[c], i + 1, c, note[c] == "" ? "" : " (" note[c] ")"
    }
    if (ended != "") printf "ok %d rig.completed (%s s)\n", n + 2, ended
    else printf "not ok %d rig.completed no XENREAL end: crash or timeout\n", n + 2
    printf "%s%s", times, diag
}
