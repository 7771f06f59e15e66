#!/usr/bin/env bash
# Fan-out benchmark of the gateway against nats-server's WebSocket listener (issue 6), in one command.
#
#   bench/run.sh                 # full: 5 interleaved runs per server of the headline scenario (about 30 min)
#   bench/run.sh --mode quick    # smoke test: 1 run each, short steps (about 3 min on an idle machine)
#   bench/run.sh --scenarios a --reps 7 --rates 500,1000,2000,3000   # any flag of BenchMain (bench/README.md)
#
# Installs nats-server with apt-get when missing, packages the gateway (mvn package -DskipTests) and the load
# generator (bench/pom.xml), then runs the load generator, which starts the gateway and nats-server as processes of
# their own. Writes bench/results/results[-quick].md, runs[-quick].csv, *.svg and logs/.
# Set SKIP_BUILD=1 to reuse the jars already built.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v nats-server >/dev/null 2>&1; then
  echo "installing nats-server (Debian package)"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nats-server >/dev/null
fi

if [ "${SKIP_BUILD:-0}" != "1" ]; then
  mvn -B -q package -DskipTests
  mvn -B -q -f bench/pom.xml package
fi

# 10,000 clients in one process: the load generator (and the servers it starts) need that many descriptors
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != "unlimited" ] && [ "$(ulimit -n)" -lt 12000 ]; then
  echo "warning: ulimit -n is $(ulimit -n); scenarios b and c need about 10,100 descriptors per process" >&2
fi

exec java -Xms2g -Xmx2g -XX:+UseParallelGC -XX:+AlwaysPreTouch \
  -jar bench/target/bench.jar --gateway-jar target/quarkus-app/quarkus-run.jar --results bench/results "$@"
