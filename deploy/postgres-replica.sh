#!/usr/bin/env bash
# A streaming replica of the local PostgreSQL primary, for tests and demos (issue 16).
#
#   deploy/postgres-replica.sh start [--port 5433] [--delay 1s]   # create and start it
#   deploy/postgres-replica.sh halt  [--port 5433]                # stop it, keep its data
#   deploy/postgres-replica.sh resume [--port 5433]               # start a halted one again
#   deploy/postgres-replica.sh stop  [--port 5433]                # stop it and remove it
#
# `start` copies the primary (127.0.0.1:5432) with `pg_basebackup -R` over a physical replication
# slot named after the port, so the primary keeps the WAL the replica has not received, and
# starts a second cluster on --port, listening on 127.0.0.1 only, trust auth, hot standby. With
# --delay, the replica applies each transaction that long after its commit on the primary
# (`recovery_min_apply_delay`): lag injected on purpose. `stop` removes the cluster and drops its
# slot, so nothing is left behind; a `start` over a previous one replaces it.
#
# The primary must accept replication connections from 127.0.0.1: the script adds
# `host replication all 127.0.0.1/32 trust` to its pg_hba.conf when missing (a local development
# or CI server; never point this at a real one) and reloads it. Runs as root (it switches to the
# `postgres` user for the server's files) or as the `postgres` user.
set -euo pipefail

command=${1:-}
shift || true
port=5433
delay=0
while [ $# -gt 0 ]; do
    case "$1" in
        --port) port=$2; shift 2 ;;
        --port=*) port=${1#--port=}; shift ;;
        --delay) delay=$2; shift 2 ;;
        --delay=*) delay=${1#--delay=}; shift ;;
        *) echo "error: unknown argument $1" >&2; exit 2 ;;
    esac
done

primary_port=5432
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
dir=${SWOLE_REPLICA_DIR:-/tmp/swole-replica-$port}
slot="swole_replica_$port"

as_postgres() {
    if [ "$(id -un)" = postgres ]; then "$@"; else su postgres -s /bin/sh -c "$(printf '%q ' "$@")"; fi
}

primary_sql() {
    psql -h 127.0.0.1 -p "$primary_port" -U postgres -d postgres -Atqc "$1"
}

ready() {
    [ "$(psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -Atqc 'SELECT pg_is_in_recovery()' 2>/dev/null)" = t ]
}

allow_replication() {
    local hba
    hba=$(primary_sql 'SHOW hba_file')
    if ! grep -Eq '^host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$hba"; then
        echo "host replication all 127.0.0.1/32 trust" >>"$hba"
        primary_sql 'SELECT pg_reload_conf()' >/dev/null
    fi
}

drop_slot() {
    primary_sql "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots \
                 WHERE slot_name = '$slot' AND NOT active" >/dev/null
}

halt() {
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
}

case "$command" in
    start)
        halt
        rm -rf "$dir"
        drop_slot
        allow_replication
        mkdir -p "$dir"
        chown postgres "$dir" 2>/dev/null || true
        # --checkpoint=fast: the default spread checkpoint makes a base backup wait minutes.
        as_postgres "$bin/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres \
            -D "$dir/data" -R -X stream -C -S "$slot" --checkpoint=fast
        cat >"$dir/data/postgresql.conf" <<EOF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
hot_standby = on
hot_standby_feedback = on
recovery_min_apply_delay = '$delay'
EOF
        printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$dir/data/pg_hba.conf"
        chown postgres "$dir/data/postgresql.conf" "$dir/data/pg_hba.conf" 2>/dev/null || true
        as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w start >/dev/null
        for _ in $(seq 1 60); do ready && break; sleep 0.5; done
        ready || { echo "error: the replica on port $port did not come up; see $dir/log" >&2; exit 1; }
        echo "replica of 127.0.0.1:$primary_port on 127.0.0.1:$port (slot $slot, apply delay $delay)"
        ;;
    halt)
        halt
        echo "replica on port $port halted"
        ;;
    resume)
        as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w start >/dev/null
        for _ in $(seq 1 60); do ready && break; sleep 0.5; done
        ready || { echo "error: the replica on port $port did not come back; see $dir/log" >&2; exit 1; }
        echo "replica on port $port resumed"
        ;;
    stop)
        halt
        rm -rf "$dir"
        drop_slot
        echo "replica on port $port removed"
        ;;
    *)
        echo "usage: $0 start|halt|resume|stop [--port N] [--delay DURATION]" >&2
        exit 2
        ;;
esac
