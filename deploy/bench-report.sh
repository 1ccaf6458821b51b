#!/usr/bin/env bash
# Turns deploy/bench.sh's results (TSV: time, scenario, server, key=value...) into a Markdown table
# of the median result per scenario and server (of its last REPEAT results, from the environment),
# and a plot (gnuplot, PNG) of deliveries/s and p99.
#   deploy/bench-report.sh RESULTS.tsv OUT.md OUT.png
set -euo pipefail
tsv=$1 md=$2 png=$3
dat=$(mktemp)
trap 'rm -f "$dat"' EXIT

# Per scenario/server, the median of its last REPEAT lines (default 1: the latest), ranked by what
# the scenario is about: RSS per connection for idle, p99 for chat, deliveries/s otherwise.
awk -F'\t' -v repeat="${REPEAT:-1}" '
  function metric(line,   f, kv, i, p, name) {
    split(line, f, "\t"); split(f[4], kv, " ")
    name = f[2] ~ /idle/ ? "rss_per_conn_kib" : f[2] ~ /chat/ ? "p99_ms" : "deliveries_per_s"
    for (i in kv) { split(kv[i], p, "="); if (p[1] == name) return p[2] + 0 }
    return 0
  }
  { key=$2"/"$3; lines[key, count[key]++]=$0; if (!(key in seen)) { seen[key]=1; order[n++]=key } }
  END {
    for (k=0; k<n; k++) {
      key=order[k]; m=0; first=count[key] > repeat ? count[key] - repeat : 0
      for (i=first; i<count[key]; i++) { pick[m]=lines[key, i]; val[m]=metric(pick[m]); m++ }
      for (i=1; i<m; i++) for (j=i; j>0 && val[j-1] > val[j]; j--) {
        t=val[j]; val[j]=val[j-1]; val[j-1]=t; t=pick[j]; pick[j]=pick[j-1]; pick[j-1]=t
      }
      print pick[int((m-1)/2)]
    }
  }' "$tsv" |
awk -F'\t' 'BEGIN { OFS="\t" } {
    delete f; split($4, kv, " ");
    for (i in kv) { split(kv[i], p, "="); f[p[1]]=p[2] }
    print $1, $2, $3, f["connections"], f["members"], f["sent"], f["delivered"], f["lost"], f["deliveries_per_s"],
          f["p50_ms"], f["p99_ms"], f["max_ms"], f["server_cpu_pct"], f["gen_cpu_pct"], f["rss_kib"], f["rss_per_conn_kib"]
  }' > "$dat"

{
  echo "| scenario | server | conns | sent | delivered | lost | deliveries/s | p50 ms | p99 ms | max ms | server CPU % | generator CPU % | RSS MiB | RSS/conn KiB |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  awk -F'\t' '{
      idle = ($2 ~ /idle/);
      printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.0f | %s |\n", $2, $3, $4,
        idle ? "-" : $6, idle ? "-" : $7, idle ? "-" : $8, idle ? "-" : $9, idle ? "-" : $10, idle ? "-" : $11,
        idle ? "-" : $12, idle ? "-" : $13, idle ? "-" : $14, $15/1024, idle ? $16 : "-" }' "$dat"
} > "$md"

command -v gnuplot >/dev/null || { echo "gnuplot not installed (apt-get install gnuplot-nox): no plot" >&2; exit 0; }
mkdir -p "$(dirname "$png")"
awk -F'\t' '$2=="fanout" || $2=="cluster-fanout" {print $2"/"$3"\t"$9"\t"$11}' "$dat" > "$dat.fan"
awk -F'\t' '$2=="chat" || $2=="cluster-chat" {print $2"/"$3"\t"$9"\t"$11"\t"$13}' "$dat" > "$dat.chat"
gnuplot <<GP
set terminal pngcairo size 1400,900 font "sans,10"
set output "$png"
set datafile separator "\t"
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.7
set grid ytics
set xtics rotate by -25 noenhanced
set key off
set yrange [0:*]
set multiplot layout 2,2 title "chat server vs bare Tyrus vs gorilla/websocket chat ($(date -u +%F), $(nproc) cores, loopback)"
set title "fan-out: deliveries/s (1000 members, 1 publisher, 64 in flight)"
plot "$dat.fan" using 2:xtic(1) lc rgb "#3465a4", '' using 0:2:(sprintf("%.0fk", \$2/1000)) with labels offset 0,0.7
set title "fan-out: p99 latency, ms (log scale)"
set logscale y
set yrange [1:*]
plot "$dat.fan" using 3:xtic(1) lc rgb "#cc0000", '' using 0:3:(sprintf("%.1f", \$3)) with labels offset 0,0.7
unset logscale y
set yrange [0:*]
set title "chat: deliveries/s (100 members x 10 msg/s)"
plot "$dat.chat" using 2:xtic(1) lc rgb "#3465a4", '' using 0:2:(sprintf("%.0fk", \$2/1000)) with labels offset 0,0.7
set title "chat: p99 latency, ms, log scale (label: server CPU %)"
set logscale y
set yrange [1:*]
plot "$dat.chat" using 3:xtic(1) lc rgb "#cc0000", '' using 0:3:(sprintf("%.1f ms / %.0f%%", \$3, \$4)) with labels offset 0,0.7
unset multiplot
GP
rm -f "$dat.fan" "$dat.chat"
echo "plot: $png"
