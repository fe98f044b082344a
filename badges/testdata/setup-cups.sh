#!/bin/sh
# setup-cups.sh installs CUPS with the cups-pdf virtual printer, starts
# cupsd and creates a print queue that writes each job as a PDF file, so the
# badges printing test can print to a real queue. Safe to run repeatedly.
#
#   badges/testdata/setup-cups.sh [QUEUE]     (default queue: PDF; needs root)
#
# cups-pdf writes jobs under the submitting user's ~/PDF (see Out in
# /etc/cups/cups-pdf.conf); the test looks there and in /var/spool/cups-pdf.
set -eu

queue="${1:-${BADGES_CUPS_QUEUE:-PDF}}"

if [ "$(id -u)" -ne 0 ]; then
	echo "setup-cups.sh: must run as root (apt-get, cupsd, lpadmin)" >&2
	exit 1
fi

need=""
for pair in cupsd:cups lp:cups-client lpadmin:cups-client pdftotext:poppler-utils pdftoppm:poppler-utils zbarimg:zbar-tools; do
	command -v "${pair%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${pair%%:*}" ] || need="$need ${pair#*:}"
done
[ -e /usr/lib/cups/backend/cups-pdf ] || need="$need printer-driver-cups-pdf"
if [ -n "$need" ]; then
	echo "setup-cups.sh: installing$need"
	apt-get update -qq
	# shellcheck disable=SC2086 # word splitting intended
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need cups cups-client printer-driver-cups-pdf
fi

# Start cupsd unless it answers already. Containers usually lack systemd,
# so start the daemon directly; it forks into the background.
if ! lpstat -r 2>/dev/null | grep -q "is running"; then
	if command -v systemctl >/dev/null 2>&1 && systemctl is-system-running >/dev/null 2>&1; then
		systemctl start cups
	else
		/usr/sbin/cupsd
	fi
	i=0
	until lpstat -r 2>/dev/null | grep -q "is running"; do
		i=$((i + 1))
		if [ "$i" -gt 50 ]; then
			echo "setup-cups.sh: cupsd did not start within 10 s" >&2
			exit 1
		fi
		sleep 0.2
	done
fi

if ! lpstat -p "$queue" >/dev/null 2>&1; then
	ppd=/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd
	[ -f "$ppd" ] || ppd=/usr/share/ppd/cups-pdf/CUPS-PDF_noopt.ppd
	lpadmin -p "$queue" -E -v cups-pdf:/ -P "$ppd"
fi
cupsenable "$queue" >/dev/null 2>&1 || true
cupsaccept "$queue" >/dev/null 2>&1 || true
echo "setup-cups.sh: queue $queue ready ($(lpstat -r))"
