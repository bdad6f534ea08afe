#!/bin/sh
# Writes the calendar rows of data/cn-workdays.csv into sql/006_calendar.sql,
# between its "-- BEGIN calendar data" and "-- END calendar data" lines, so
# the migration loads the project's calendar with no file at run time.
#
#   sh sql/calendar-data.sh            rewrite the block (after editing the CSV)
#   sh sql/calendar-data.sh --check    exit 1 when the block is out of date
#
# The CSV is checked by the C loader whenever it is read; here it is only
# copied (date, kind, label), quotes doubled.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
CSV=$HERE/../data/cn-workdays.csv
SQL=$HERE/006_calendar.sql
TMP=$(mktemp)
trap 'rm -f "$TMP"' EXIT

awk -v csv="$CSV" '
/^-- BEGIN calendar data/ {
    print
    print "INSERT INTO calendar_day (day, kind, label) VALUES"
    n = 0
    while ((getline line < csv) > 0) {
        sub(/\r$/, "", line)
        if (line == "" || line ~ /^date,/) continue
        split(line, f, ",")
        gsub(/\047/, "\047\047", f[3])
        rows[++n] = sprintf("    (\047%s\047, \047%s\047, \047%s\047)", f[1], f[2], f[3])
    }
    for (i = 1; i <= n; i++) print rows[i] (i < n ? "," : ";")
    skip = 1
    next
}
/^-- END calendar data/ { skip = 0 }
!skip { print }
' "$SQL" >"$TMP"

if [ "${1:-}" = --check ]; then
    if ! cmp -s "$TMP" "$SQL"; then
        echo "sql/006_calendar.sql does not hold data/cn-workdays.csv: run sh sql/calendar-data.sh" >&2
        exit 1
    fi
    exit 0
fi
cat "$TMP" >"$SQL"
