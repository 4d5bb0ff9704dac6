#!/bin/sh
# duban: a nightly backup of the database with pg_dump (docs/deployment.md, "备份与恢复").
# Run as the OS account that maps to the owner role (peer authentication), e.g. from duban-backup.timer.
# Keeps the last KEEP dumps. pg_dump does not save roles: the login roles are saved next to it with
# pg_dumpall --roles-only when the account may (a superuser's); otherwise recreate them with duban user add.
set -eu
DB="${DUBAN_DB:-duban}"
DIR="${DUBAN_BACKUP_DIR:-/var/backups/duban}"
KEEP="${DUBAN_BACKUP_KEEP:-14}"
stamp="$(date +%Y%m%d-%H%M%S)"
mkdir -p "$DIR"
umask 077
pg_dump --format=custom --no-password --file="$DIR/$DB-$stamp.dump" "$DB"
pg_restore --list "$DIR/$DB-$stamp.dump" > /dev/null   # the dump is readable
ls -1t "$DIR/$DB"-*.dump | tail -n "+$((KEEP + 1))" | xargs -r rm --
echo "$DIR/$DB-$stamp.dump"
