#!/usr/bin/env bash
# The main job on the embedded default, over the example mail in examples/mail/:
# deliver the mail into the Maildir var/mail, run `supportbot process` (read, check, record,
# reply), then show the replies in var/sent and what the bot recorded. Writes only under var/.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bot=./target/release/supportbot
mkdir -p var/mail/new var/mail/cur var/mail/tmp
for f in examples/mail/*.eml; do
    # Maildir delivery: write under tmp/, then rename into new/.
    name="$(basename "$f" .eml).demo"
    [ -e "var/mail/new/$name" ] || ls var/mail/cur/"$name":* >/dev/null 2>&1 || {
        cp "$f" "var/mail/tmp/$name" && mv "var/mail/tmp/$name" "var/mail/new/$name"
    }
done
SUPPORTBOT_LOG=warn "$bot" process
echo
echo "== replies written to var/sent/new =="
ls -1 var/sent/new
echo
echo "== supportbot report messages =="
"$bot" report messages
echo
echo "== supportbot outbox =="
"$bot" outbox
echo
echo "== supportbot report tally --month 2026-11 =="
"$bot" report tally --month 2026-11
