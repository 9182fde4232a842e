#!/usr/bin/env bash
# Debian packages for the browser tests. Playwright drives Debian's Chromium; never
# run `playwright install` (it downloads a browser and fails offline).
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
