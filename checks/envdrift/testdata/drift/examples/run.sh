#!/usr/bin/env bash
set -euo pipefail
export DASHSTREAM_KAFKA_BROKERS=localhost:9092
dir=$(dirname "$0")
LOCAL_ONLY=1
echo "$LOCAL_ONLY $dir ${SCRIPT_KNOB:-1}"
KAFKA_AUTO_OFFSET_RESET=latest exporter --once
