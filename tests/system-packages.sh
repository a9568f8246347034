#!/bin/sh
# The Debian packages the tests need besides Python: chromium (tests/test_report.py opens the
# build report in it through playwright, which downloads no browser of its own), the fonts
# the report's charts draw Chinese, Japanese, Korean and Thai names with (Noto Sans CJK,
# Loma; Latin text comes from the DejaVu Sans the package ships), DejaVu Sans for the text
# Chromium draws in the page's tables, and fontconfig, whose fc-match tells the test which
# font files Chromium drew them with.
# Installs only what is missing; uses sudo when not run as root.
set -eu
packages="chromium fontconfig fonts-dejavu-core fonts-noto-cjk fonts-thai-tlwg"
missing=""
for package in $packages; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="$missing $package"
done
[ -z "$missing" ] && exit 0
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086  # one word per package
$sudo apt-get install -y $missing || { $sudo apt-get update && $sudo apt-get install -y $missing; }
