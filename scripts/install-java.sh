#!/usr/bin/env bash
# Installs the Java 17 runtime DynamoDB Local needs, from Debian's packages.
set -euo pipefail
if command -v java >/dev/null 2>&1; then
  java -version 2>&1 | head -n 1
  exit 0
fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then as_root=(sudo); fi
echo "installing openjdk-17-jre-headless for DynamoDB Local…"
"${as_root[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -q openjdk-17-jre-headless
java -version 2>&1 | head -n 1
