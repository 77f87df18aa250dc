#!/usr/bin/env bash
# Installs, only when missing, the system packages Kumo needs.
#   scripts/deps.sh build   cgo libraries for building the Fyne app
#   scripts/deps.sh test    the above plus every real component the tests start
#   scripts/deps.sh windows the above plus mingw-w64, to cross-build kumo.exe
#   scripts/deps.sh wine    Wine and mingw-w64, to run the engine's tests as Windows programs
# Works as root on a fresh Debian machine; elsewhere it says what to run.
set -euo pipefail

group=${1:-build}

build_pkgs=(gcc pkg-config libgl1-mesa-dev xorg-dev libwayland-dev libxkbcommon-dev)
# dbus-daemon ships dbus-run-session; apache2-utils ships htpasswd;
# haskell-status-notifier-item-utils ships status-notifier-watcher (a tray host for tests);
# fonts-ipafont-gothic draws Japanese names (Fyne falls back to the system's fonts).
# wine64 runs the engine's tests as Windows programs (make test-windows);
# mingw-w64 builds the DLL stand-in they need under Wine 8.
wine_pkgs=(wine wine64 gcc-mingw-w64-x86-64)
test_pkgs=("${wine_pkgs[@]}" apache2 apache2-utils rclone gnome-keyring dbus dbus-daemon python3-dbusmock xvfb litmus libsecret-tools desktop-file-utils appstream x11-utils haskell-status-notifier-item-utils fonts-ipafont-gothic)

case "$group" in
build) want=("${build_pkgs[@]}") ;;
windows) want=("${build_pkgs[@]}" gcc-mingw-w64-x86-64) ;;
wine) want=("${wine_pkgs[@]}") ;;
guide) want=("${build_pkgs[@]}" "${test_pkgs[@]}" xdotool) ;;
test) want=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
*)
	echo "usage: $0 build|test|windows|wine|guide" >&2
	exit 2
	;;
esac

if [ "$(uname -s)" != Linux ]; then
	exit 0 # macOS and Windows builds need no system packages beyond a C compiler.
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps: not a Debian-based system; install the equivalents of: ${want[*]}" >&2
	exit 0
fi

missing=()
for p in "${want[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing missing packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
	sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	sudo=(sudo)
else
	echo "deps: these Debian packages are missing and I cannot install them without root." >&2
	echo "deps: run: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: installed ${missing[*]}"
