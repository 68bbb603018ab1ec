#!/usr/bin/env bash
# The tracker's whole flow on an embedded (SQLite) database, driven through the real `cpo`
# command as a case worker and a facilitator would. Called by `make demo`; results in output/.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export CPO_DATA=output/tracker CPO_USER=admin
# Passwords and the passphrase come from the environment here; people type them.
export CPO_ADMIN_PASSWORD="demo admin password" CPO_NEW_PASSWORD="demo staff password"
export CPO_PASSPHRASE="demo backup passphrase"
rm -rf "$CPO_DATA" output/issues output/letters output/tracker-restored output/demo-backup.tar

cpo() { "$BIN/cpo" "$@"; }
echo "== Set up the tracker: two offices, a case worker and a facilitator (as the admin)"
cpo init
cpo office add demo-office --name "Demo office"
cpo office add leeds --name "Leeds"
cpo office set demo-office --return-address "Learning Team, PO Box 12, Glasgow, G1 1AA"
cpo staff add ana --role caseworker --office demo-office
cpo staff add fay --role facilitator --office demo-office
cpo staff add lee --role caseworker --office leeds
cpo staff list
export CPO_USER=ana
echo "== Ana (case worker) adds a client with a 100-hour Scottish order"
cpo client add DEMO-001 --name "Sam Tailor" --office demo-office \
    --case-worker "Ana Lopez" --contact "0141 496 0000" --address "12 High Street, Glasgow, G2 1AB"
echo "== The name was typed wrong: correct it (the audit log keeps what it was)"
cpo client set DEMO-001 --name "Sam Taylor"
made=$("$BIN/python" -c "import datetime as d; print(d.date.today() - d.timedelta(days=21))")
deadline=$("$BIN/python" -c "import datetime as d; print(d.date.today() + d.timedelta(days=160))")
cpo order add DEMO-001 --jurisdiction scotland --hours 100 --made "$made" --deadline "$deadline"

echo "== Issue a workbook (the modules that fit the 30-hour cap)"
cpo issue DEMO-001 --json > output/demo-issue.json
"$BIN/python" - <<'PY'
import json
issued = json.load(open("output/demo-issue.json"))
print(f"Workbook {issued['workbook']}: {len(issued['modules'])} modules, due {issued['due_on']}")
for f in issued["files"]:
    print(f"Wrote {f}")
# Three modules come back: their codes, one a line, as a USB scanner would type them.
open("output/demo-returned-codes.txt", "w").write(
    "\n".join(m["code"] for m in issued["modules"][:3]) + "\n")
PY

echo "== Leeds's case worker cannot see or issue to Ana's client"
CPO_USER=lee "$BIN/cpo" hours DEMO-001 || echo "(refused, as it should be: another office's client)"
CPO_USER=lee "$BIN/cpo" issue DEMO-001 || echo "(refused, as it should be)"
export CPO_USER=fay
echo "== Fay (facilitator) checks in three returned modules, as a USB scanner types them"
cpo checkin < output/demo-returned-codes.txt
echo "== Returns waiting to be marked"
cpo mark

echo "== Mark them: two accepted, one sent back"
cpo mark R1 --accept --tried all --minutes 1h50
cpo mark R2 --accept --tried all --minutes 2h30
cpo mark R3 --send-back --tried WB3-1,WB3-2 --feedback "Good start. Please try the plan in activity 5."
echo "== The send-back letter (in output/letters/) names what to try again and the module's code"
pdftotext -layout output/letters/*-WB3-sent-back-R3.pdf - | sed -n '1,40p' | grep -v '^\s*$' | sed -n 1,20p
echo "== Print WB3 again with its own code, without revoking the rest of the workbook"
number=$("$BIN/python" -c "import json; print(json.load(open('output/demo-issue.json'))['workbook'])")
CPO_USER=ana "$BIN/cpo" workbook print "$number" --module WB3
CPO_USER=ana "$BIN/cpo" workbook list DEMO-001

echo "== Take in an envelope: module 4's pages scanned out of order, one upside down,"
echo "   with a page that is not ours"
"$BIN/python" - <<'PY'
import json, random, re
import pypdfium2 as pdfium
issued = json.load(open("output/demo-issue.json"))
module = issued["modules"][3]["module"]
document = pdfium.PdfDocument(issued["files"][0])
pages = []
for index in range(len(document)):
    text = document[index].get_textpage().get_text_range()
    if re.search(rf"^{module}\s+\u00b7\s+Page \d+ of \d+\s*$", text, re.M):  # its footer
        pages.append(document[index].render(scale=200 / 72, grayscale=True).to_pil())
pages[1] = pages[1].rotate(180)
random.Random(4).shuffle(pages)
# A parcel-tracking slip that got into the envelope: a QR code, but not one of ours.
import zxingcpp
from PIL import Image
slip = Image.new("L", pages[0].size, 255)
code = zxingcpp.create_barcode("https://parcels.example/track/7731", zxingcpp.BarcodeFormat.QRCode)
slip.paste(Image.fromarray(code.to_image(scale=8)), (200, 200))
pages.insert(2, slip)
pages[0].save("output/demo-envelope.pdf", save_all=True, append_images=pages[1:], resolution=200)
print(f"Wrote output/demo-envelope.pdf: {len(pages)} pages, {len(pages) - 1} of them {module}")
PY
cpo intake output/demo-envelope.pdf | tee output/demo-intake.txt
cpo intake output/demo-envelope.pdf  # the same file again: skipped, never taken in twice
cpo evidence show R4 > output/demo-evidence.txt && head -3 output/demo-evidence.txt
cpo mark R4 --accept --tried all --minutes 2h

export CPO_USER=ana
echo "== The hours statement"
cpo hours DEMO-001 | tee output/demo-hours.txt
cpo audit verify

echo "== Reports for the case worker: the week (CSV and PDF), what is overdue, a certificate"
cpo report weekly --office demo-office --csv output/demo-weekly.csv --pdf output/demo-weekly.pdf
cpo report overdue --office demo-office --csv output/demo-overdue.csv | tee output/demo-overdue.txt
cpo certificate DEMO-001 --output output/demo-certificate.pdf
cpo statement DEMO-001 --output output/demo-statement.pdf
cpo export --from "$made" --to "$("$BIN/python" -c "import datetime as d; print(d.date.today())")" \
    --output output/demo-ledger.csv

echo "== England and Wales: only ETE modules, credited once the probation practitioner agrees"
cpo client add DEMO-002 --name "Jo Evans" --office demo-office --case-worker "Pat Lee" \
    --contact "029 2000 0000" --region england
cpo order add DEMO-002 --jurisdiction england-wales --hours 120 --made "$made" --deadline "$deadline"
cpo issue DEMO-002 --modules WM1,SW1 --json > output/demo-issue-england.json
cpo issue DEMO-002 --modules WB1 || echo "(refused, as it should be: WB1 is not ETE)"
code=$("$BIN/python" -c "import json; print(json.load(open('output/demo-issue-england.json'))['modules'][0]['code'])")
CPO_USER=fay "$BIN/cpo" checkin "$code"
CPO_USER=fay "$BIN/cpo" mark R5 --accept --tried all --minutes 2h \
    || echo "(refused until the agreement is recorded)"
cpo order agree DEMO-002/1 --by "Pat Lee"
CPO_USER=fay "$BIN/cpo" mark R5 --accept --tried all --minutes 2h
cpo hours DEMO-002 | tee output/demo-hours-england.txt

echo "== Wales: the same ETE rule, with Welsh services in the workbook"
cpo client add DEMO-003 --name "Rhys Morgan" --office demo-office --case-worker "Pat Lee" \
    --contact "029 2000 0000" --region wales
cpo order add DEMO-003 --jurisdiction england-wales --hours 80 --made "$made" --deadline "$deadline"
cpo issue DEMO-003 --modules WM1,SW7 --json > output/demo-issue-wales.json

echo "== Each workbook names the careers service where its client lives"
"$BIN/python" - <<'PY'
import json
import pypdfium2 as pdfium
for nation, name in [("Scotland", "demo-issue.json"), ("England", "demo-issue-england.json"),
                     ("Wales", "demo-issue-wales.json")]:
    issued = json.load(open(f"output/{name}"))
    document = pdfium.PdfDocument(issued["files"][0])
    text = " ".join(page.get_textpage().get_text_range() for page in document)
    found = [s for s in ("My World of Work", "National Careers Service", "Careers Wales") if s in text]
    print(f"{nation}: workbook {issued['workbook']} ({issued['files'][0]}) names {', '.join(found)}")
PY

echo "== The audit fingerprint on the weekly report is an anchor outside the records:"
echo "   later, prove the chain still holds what that report showed"
fingerprint=$("$BIN/python" -c "import csv; print(next(csv.DictReader(open('output/demo-weekly.csv')))['audit_fingerprint'])")
echo "Fingerprint on output/demo-weekly.csv and output/demo-weekly.pdf: $fingerprint"
cpo client add DEMO-004 --name "Wáng 王小明" --office demo-office --case-worker "Ana Lopez"
cpo audit verify --since "$fingerprint"

echo "== Import a caseload export (CareFirst's columns; two bad rows are named, the rest go in)"
export CPO_USER=admin
cpo office add demo-north --name "Demo North"
"$BIN/python" - <<'PY'
from tests.tracker.caseload import caseload
data, _ = caseload(24, 2, team="Demo North")
open("output/demo-caseload.csv", "wb").write(data)
print("Wrote output/demo-caseload.csv: 24 rows, 2 of them bad")
PY
cpo import output/demo-caseload.csv --preset carefirst --dry-run | tail -4 || true
cpo import output/demo-caseload.csv --preset carefirst | tail -4 || true
cpo import output/demo-caseload.csv --preset carefirst | tail -1 || true  # again: nothing changes
echo "== One print run for the office: each letter and workbook on a right-hand page"
cpo issue-batch --office demo-north --each 2 | tail -4
run=$(ls output/issues/print-run-demo-north-*.pdf | sed -n 1,1p)
pdfinfo "$run" | grep Pages
pdftotext -f 1 -l 1 -layout "$run" - | sed -n 1,8p

echo "== Back up (records, keys sealed with a passphrase, evidence) and restore elsewhere"
CPO_USER=admin "$BIN/cpo" backup output/demo-backup.tar
CPO_USER=admin "$BIN/cpo" restore output/demo-backup.tar --data output/tracker-restored
CPO_USER=admin CPO_DATA=output/tracker-restored "$BIN/cpo" audit verify
CPO_USER=ana CPO_DATA=output/tracker-restored "$BIN/cpo" hours DEMO-001 | sed -n 1,4p

echo "== Left for the staff web app (make serve): three modules come back, waiting to be marked"
cpo staff add nia --role facilitator --office demo-north
for client in C-1000 C-1001 C-1002; do
    cpo workbook list "$client" --json \
        | "$BIN/python" -c "import json, sys; print(json.load(sys.stdin)[0]['modules'][0]['code'])"
done | CPO_USER=nia "$BIN/cpo" checkin
CPO_USER=nia "$BIN/cpo" mark
