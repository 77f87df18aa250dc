#!/usr/bin/env bash
# Fuzzes every parser of outside input.
#   scripts/fuzz.sh            each target for its execution count (about 3 s here; make test)
#   scripts/fuzz.sh 10m        each target for a duration (make fuzz FUZZTIME=10m)
#
# make test fuzzes by count, never by the clock: with a duration, Go 1.26's
# fuzz coordinator can fail a target that found nothing with a bare "context
# deadline exceeded" at the end of its window (golang/go#75804, a race fixed
# in Go 1.27). A count budget takes another path in the coordinator and fails
# only on a real finding. A long duration run can still meet the race: a
# failure without "Failing input written to" is that race, not a finding.
set -euo pipefail

# package:target:executions (the count that took about 3 s on the 2-core
# CI machine, measured 2026-12-02 with -fuzztime 3s).
targets=(
	./transport:FuzzParseQuota:8000
	./transport:FuzzListing:5000
	./transport:FuzzValidateAPIKey:30000
	./transport:FuzzVerify:15000
	./backup/format:FuzzDecodeCatalog:15000
	./backup/format:FuzzReadJournal:60000
	./backup/restore:FuzzCheckRel:15000
	./backup/crypt:FuzzDecrypt:60000
	./backup/crypt:FuzzParseMarker:100000
	./account:FuzzLoadConfig:500
)

budget=${1:-}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "${targets[@]}"; do
	pkg=${t%%:*} rest=${t#*:}
	fn=${rest%%:*} count=${rest##*:}
	limit=${budget:-${count}x}
	echo "fuzz $fn ($pkg, $limit)"
	if ! go test -run '^$' -fuzz "^$fn\$" -fuzztime "$limit" "$pkg" >"$log" 2>&1; then
		cat "$log"
		exit 1
	fi
done
