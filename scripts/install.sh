#!/usr/bin/env bash
# Installs Kumo for one user (PREFIX=~/.local, the default) or for everyone
# (PREFIX=/usr/local), following the freedesktop specs, and uninstalls
# exactly what it installed (listed in PREFIX/share/kumo/installed-files).
#   scripts/install.sh install   [--prefix DIR] [--bin PATH] [--from DIR]
#   scripts/install.sh uninstall [--prefix DIR]
# --from is a folder laid out like the release archive (bin/, share/); by
# default the files come from this source tree (bin/kumo, assets, packaging).
set -euo pipefail

action=${1:-}
shift || true
prefix="${PREFIX:-$HOME/.local}"
bin=""
from=""
while [ $# -gt 0 ]; do
	case "$1" in
	--prefix) prefix=$2; shift 2 ;;
	--bin) bin=$2; shift 2 ;;
	--from) from=$2; shift 2 ;;
	*) echo "install.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
id=io.kumobackup.kumo
here=$(cd "$(dirname "$0")/.." && pwd)
manifest="$prefix/share/kumo/installed-files"
# Run from an unpacked release archive, the files are beside this script.
if [ -z "$from" ] && [ -d "$here/share/applications" ]; then from=$here; fi

put() { # put SRC DEST MODE
	install -D -m "$3" "$1" "$2"
	echo "$2" >>"$manifest"
}

case "$action" in
install)
	if [ -f "$manifest" ]; then "$0" uninstall --prefix "$prefix"; fi
	if [ -n "$from" ]; then
		bin=${bin:-$from/bin/kumo}
		icons=$from/share/icons/hicolor
		desktop_in=$from/share/applications/$id.desktop.in
		metainfo=$from/share/metainfo/$id.metainfo.xml
	else
		bin=${bin:-$here/bin/kumo}
		icons=$here/assets/hicolor
		desktop_in=$here/packaging/linux/$id.desktop.in
		metainfo=$here/packaging/linux/$id.metainfo.xml
	fi
	[ -x "$bin" ] || { echo "install.sh: no kumo binary at $bin (run make build)" >&2; exit 1; }
	mkdir -p "$(dirname "$manifest")"
	: >"$manifest"
	put "$bin" "$prefix/bin/kumo" 755
	tmp=$(mktemp)
	sed "s|@BINDIR@|$prefix/bin|" "$desktop_in" >"$tmp"
	put "$tmp" "$prefix/share/applications/$id.desktop" 644
	rm -f "$tmp"
	put "$metainfo" "$prefix/share/metainfo/$id.metainfo.xml" 644
	for dir in "$icons"/*x*; do
		size=$(basename "$dir")
		if [ -f "$dir/$id.png" ]; then
			put "$dir/$id.png" "$prefix/share/icons/hicolor/$size/apps/$id.png" 644
		fi
	done
	echo "$manifest" >>"$manifest"
	echo "Installed Kumo under $prefix ($(wc -l <"$manifest") files). Find it in your applications menu."
	;;
uninstall)
	if [ ! -f "$manifest" ]; then
		echo "install.sh: Kumo is not installed under $prefix (no $manifest)" >&2
		exit 1
	fi
	mapfile -t files <"$manifest"
	for f in "${files[@]}"; do
		rm -f "$f"
		d=$(dirname "$f")
		while [ "$d" != "$prefix" ] && [ "${d#"$prefix"/}" != "$d" ] && rmdir "$d" 2>/dev/null; do
			d=$(dirname "$d")
		done
	done
	echo "Removed Kumo from $prefix (${#files[@]} files)."
	;;
*)
	echo "usage: $0 install|uninstall [--prefix DIR] [--bin PATH] [--from DIR]" >&2
	exit 2
	;;
esac
