#!/bin/bash
# usage: pairs.sh OUTDIR ROUNDS REV_A REV_B
out=$1; rounds=$2; A=$3; B=$4
mkdir -p $out
cd /work/wt/rss12
for r in $(seq 1 $rounds); do
  if (( r % 2 )); then order="$A $B"; else order="$B $A"; fi
  for rev in $order; do
    echo "$(date -u +%T) round $r rev $rev" >> $out/driver.log
    cat /proc/loadavg >> $out/driver.log
    node_modules/.bin/bun bench/run.ts --rev $rev --case small-keepalive --backend-proto h2 --wait-quiet 10 --retry-busy 1 --out $out/h2-$rev-r$r.md 2>> $out/driver.log >/dev/null
  done
done
echo "$(date -u +%T) done" >> $out/driver.log
