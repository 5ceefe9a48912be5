#!/usr/bin/env bash
# Install headless Chromium and its WebDriver (Debian packages) for the browser tests
# (tests/test_browser.py, marker "browser"). Does nothing when /usr/bin/chromium and
# /usr/bin/chromedriver already exist. Needs root (or sudo) and access to Debian's mirrors.
set -euo pipefail

if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
    echo "install-browser: chromium and chromedriver already installed"
    exit 0
fi

SUDO=""
if [[ "$(id -u)" -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install-browser: not root and no sudo; the browser tests will be skipped" >&2
        exit 0
    fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core
/usr/bin/chromium --version || true
/usr/bin/chromedriver --version
