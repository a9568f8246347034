#!/bin/sh
# The Debian packages the tests need besides Python: chromium (tests/test_report.py opens the
# build report in it through playwright, which downloads no browser of its own), the fonts
# the report's charts draw their text with (DejaVu Sans for Latin; Chinese, Japanese, Korean
# and Thai names from Noto Sans CJK and Loma), and fontconfig, whose fc-match tells the
# test which font files Chromium drew the page's tables with.
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
