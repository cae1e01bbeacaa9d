#!/usr/bin/env bash
# Distributed rendering on one machine: Redis, three workers, a render in six segments, and one
# worker killed (SIGKILL) while it renders a segment. On several machines, DIR is a shared disk
# (NFS) that every worker mounts, and each machine runs its own `mp4forge queue worker`.
set -euo pipefail
PORT=${PORT:-6379}
DIR=${DIR:-$PWD/queue-demo}
SIZE=${SIZE:-"--width 1280 --height 720"}
REDIS=redis://127.0.0.1:$PORT
mkdir -p "$DIR/parts"

# At the end, or on any failure: stop the workers (SIGTERM: a worker hands back a segment it
# holds) and Redis.
stop() {
  for i in 1 2 3; do kill -TERM "$(cat "$DIR/worker$i.pid" 2> /dev/null)" 2> /dev/null || true; done
  wait || true
  redis-cli -p "$PORT" shutdown nosave > /dev/null 2>&1 || true
}
trap stop EXIT

# 1. Redis (this one keeps nothing on disk).
redis-server --port "$PORT" --save '' --appendonly no --dir "$DIR" --daemonize yes

# 2. Three workers. A worker that stops answering loses its segment after --lock-ms (default 30 s).
for i in 1 2 3; do
  mp4forge queue worker --redis "$REDIS" --store "$DIR/parts" --lock-ms 3000 2> "$DIR/worker$i.log" &
  echo $! > "$DIR/worker$i.pid"
done

# 3. Submit 600 frames in 6 segments and follow the render to the end (prints the job id).
mp4forge queue submit --redis "$REDIS" --segments 6 --pattern plasma $SIZE --frames 600 \
  --out "$DIR/out.mp4" --wait > "$DIR/job-id" &
SUBMIT=$!

# 4. Kill the first worker that starts a segment, while it renders it.
until grep -l 'started' "$DIR"/worker*.log > "$DIR/victim" 2> /dev/null; do sleep 0.1; done
VICTIM=$(head -n 1 "$DIR/victim")
kill -KILL "$(cat "${VICTIM%.log}.pid")"
echo "killed ${VICTIM%.log}: $(grep started "$VICTIM" | head -n 1)"
wait $SUBMIT

# 5. The segment went back to the queue and another worker rendered it; the file is the same,
#    byte for byte, as a render in one process.
grep -h 'went back to the queue' "$DIR"/worker*.log || true
mp4forge queue status --redis "$REDIS" "$(cat "$DIR/job-id")"
mp4forge render --pattern plasma $SIZE --frames 600 --out "$DIR/single.mp4"
cmp "$DIR/out.mp4" "$DIR/single.mp4" && echo "out.mp4 is byte-identical to single.mp4"
