#!/usr/bin/env bash
# make test-windows: the engine's tests cross-built for Windows and run
# under Wine (Debian's wine64) with the in-process emulator.
#
# Wine 8 lacks bcryptprimitives.dll's ProcessPrng, which Go 1.24+ binaries
# call at start-up: a stand-in built here with mingw-w64
# (scripts/wine/bcryptprimitives.c) goes into the prefix's system32. The
# prefix is kept in bin/wine (KUMO_WINEPREFIX), made once, in about 10 s.
#
# What runs is each package's tests that touch the disk the way Windows
# does (names, renames, folders, read-only and held-open files, long paths,
# the watcher, restore onto Windows' rules), not the ones that need a
# Linux-only fixture (Apache, a tmpfs mount, Unix permissions, FIFOs, links)
# or that test the network and the server, which run the same on Linux:
# RUN lists them, so a new Windows test is added here by name.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh wine

out=$(pwd)/bin/windows
export WINEPREFIX=${KUMO_WINEPREFIX:-$(pwd)/bin/wine}
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
mkdir -p "$out"

shim=$out/bcryptprimitives.dll
if [ ! -f "$shim" ] || [ scripts/wine/bcryptprimitives.c -nt "$shim" ]; then
	x86_64-w64-mingw32-gcc -shared -O2 -o "$shim" scripts/wine/bcryptprimitives.c
fi
if [ ! -d "$WINEPREFIX/drive_c/windows/system32" ]; then
	echo "test-windows: making the Wine prefix $WINEPREFIX"
	wineboot -i >/dev/null 2>&1 || true
	wineserver -w
fi
cmp -s "$shim" "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" ||
	cp "$shim" "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"

# account/ is not run: its tests are the Secret Service's (gnome-keyring).
# Left out for what Wine does unlike Windows: a rename in case only keeps the
# old case (TestWindowsCaseOnlyRename is for real Windows), and in
# TestWatchBacksUpChangesAsTheyHappen a file written into a just-made deep
# tree was missed in 1 of 2 runs and the watcher then did not stop.
# package, the tests run there (a -test.run pattern), and those left out of it
runs=(
	"./watcher/" "." ""
	"./transport/" "." ""
	"./backup/" 'TestWindows|TestGoneFolders|TestLifecycle|TestPauseResume|TestFileChangingDuringUpload|TestUnfinishedVersionMove|TestWatch|TestEncryptedFolderLifecycle|TestForgetFolder|TestLostIndexRebuilds|TestVerifyRound|TestIndexRebuild' 'TestWindowsCaseOnlyRename|TestWatchBacksUpChangesAsTheyHappen'
	"./backup/restore/" '.' 'TestHostileServerWritesNothingOutsideTheDestination|TestDiskFillsWhileRestoring|TestRestoreEachMomentAfterLosingEverythingLocal'
)

# A backup made on Linux of names Windows refuses, served from Linux (whose
# disk holds any name) for TestRestoreOntoWindowsForReal.
served=$(mktemp -d)
go build -o "$out/winserver" ./internal/testenv/winserver
"$out/winserver" -dir "$served" -out "$served/server.json" -for 15m &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$served"' EXIT
for _ in $(seq 1 300); do
	[ -s "$served/server.json" ] && break
	kill -0 $server 2>/dev/null || { echo "test-windows: the Linux server for the restore test did not start" >&2; exit 1; }
	sleep 0.1
done
KUMO_WINDOWS_SERVER=$(winepath -w "$served/server.json" 2>/dev/null)
export KUMO_WINDOWS_SERVER

status=0
start=$SECONDS
for ((i = 0; i < ${#runs[@]}; i += 3)); do
	pkg=${runs[i]} run=${runs[i + 1]} skip=${runs[i + 2]}
	name=$(echo "$pkg" | tr -d './' | tr '/' '-')
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go test -c -o "$out/$name.test.exe" "$pkg"
	t0=$SECONDS
	args=(-test.count=1 -test.timeout=10m -test.run "$run")
	[ -n "$skip" ] && args+=(-test.skip "$skip")
	# from the package's folder, as go test runs a test (testdata, fuzz seeds)
	if (cd "$pkg" && wine "$out/$name.test.exe" "${args[@]}") >"$out/$name.log" 2>&1; then
		echo "ok   $pkg under Wine ($((SECONDS - t0)) s)"
	else
		echo "FAIL $pkg under Wine ($((SECONDS - t0)) s):"
		grep -E -- '^(--- FAIL|panic|FAIL|    .*\.go:[0-9]+)' "$out/$name.log" | head -40
		status=1
	fi
done
wineserver -k 2>/dev/null || true
echo "test-windows: $((SECONDS - start)) s"
exit $status
