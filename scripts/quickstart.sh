#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (packages + release build) and runs `concourse quickstart`:
# a web node (ATC + TSA, on its own embedded PostgreSQL) and a worker with the houdini runtime
# that registers through the TSA over SSH. Then `fly` logs in, lists the worker, sets a demo
# pipeline and watches a build of it, and the worker's Garden and Baggageclaim APIs are driven
# the way the ATC drives them, with plain curl:
# a container, a process with its output and exit status, files streamed in and out, volumes.
#   scripts/quickstart.sh          # run the demo, then stop
#   scripts/quickstart.sh --keep   # leave it running: web :8080 (test/test), worker :7777/:7788
set -euo pipefail
cd "$(dirname "$0")/.."
keep=0
[[ ${1:-} == --keep ]] && keep=1

bash scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release

work=${WORK_DIR:-/tmp/concourse-quickstart}
bin=build/release/bin/concourse
fly=build/release/bin/fly
garden=http://127.0.0.1:7777
bc=http://127.0.0.1:7788
mkdir -p "$work"
"$bin" quickstart --worker-work-dir "$work" --worker-name quickstart-worker \
  --log-level info >"$work/quickstart.log" 2>&1 &
qs_pid=$!
cleanup() { [[ $keep == 1 ]] || { kill -TERM "$qs_pid" 2>/dev/null; wait "$qs_pid" || true; }; }
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "waiting for the web node and a healthy worker"
for _ in $(seq 600); do
  code=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8888/ || true)
  info=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/api/v1/info || true)
  [[ $code == 200 && $info == 200 ]] && break
  kill -0 "$qs_pid" 2>/dev/null || break
  sleep 0.1
done
[[ $code == 200 && $info == 200 ]] || {
  cat "$work/quickstart.log"; echo "quickstart did not come up" >&2; exit 1; }
echo "worker health: $code, web: $(curl -s http://127.0.0.1:8080/api/v1/info)"
"$bin" plugins list --plugin-dir build/release/plugins

step "fly: log in and list the worker (registered through the TSA)"
"$fly" -t quickstart login -c http://127.0.0.1:8080 -u test -p test
for _ in $(seq 100); do
  "$fly" -t quickstart workers | grep -q 'quickstart-worker .*running' && break
  sleep 0.1
done
"$fly" -t quickstart workers --details --print-table-headers

step "fly: a demo pipeline (examples/hello-pipeline.yml): set, unpause, trigger and watch"
"$fly" -t quickstart validate-pipeline -c examples/hello-pipeline.yml
"$fly" -t quickstart set-pipeline -n -p hello -c examples/hello-pipeline.yml >/dev/null
"$fly" -t quickstart unpause-pipeline -p hello
"$fly" -t quickstart trigger-job -j hello/hello -w
"$fly" -t quickstart builds --print-table-headers

step "create a container"
curl -sf -XDELETE "$garden/containers/demo" >/dev/null || true
curl -sf -XPOST "$garden/containers" \
  -d '{"handle":"demo","env":["GREETING=hello"],"properties":{"owner":"quickstart"}}'
echo
curl -sf "$garden/containers?owner=quickstart"; echo

step "run a process (Garden's protocol: control connection + stdout/stderr attaches)"
frames=$(mktemp)
# After the 201 head Garden hijacks the connection: newline-delimited JSON frames follow (the head
# advertises chunking, as Go's Garden does, but the bytes are raw), so a plain socket reads them.
spec='{"id":"task","path":"sh","args":["-c","echo $GREETING from $(pwd); echo oops >&2; exit 3"]}'
exec 3<>/dev/tcp/127.0.0.1/7777
printf 'POST /containers/demo/processes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
  "${#spec}" "$spec" >&3
timeout 10 cat <&3 >"$frames" &
reader_pid=$!
for _ in $(seq 100); do grep -q stream_id "$frames" && break; sleep 0.05; done
stream=$(sed -n 's/.*"stream_id":"\([^"]*\)".*/\1/p' "$frames" | head -1)
echo "stdout: $(curl -s --raw "$garden/containers/demo/processes/task/attaches/$stream/stdout")"
echo "stderr: $(curl -s --raw "$garden/containers/demo/processes/task/attaches/$stream/stderr")"
for _ in $(seq 100); do grep -q exit_status "$frames" && break; sleep 0.05; done
exec 3<&-
kill "$reader_pid" 2>/dev/null || true
echo "frames (after the HTTP head):"; sed -n '/^{/p' "$frames"; rm -f "$frames"

step "stream files in and out of the container"
src=$(mktemp -d)
echo "streamed in" >"$src/hello.txt"
tar -C "$src" -cf - . | curl -sf -XPUT -H 'Content-Type: application/x-tar' \
  --data-binary @- "$garden/containers/demo/files?destination=/data"
echo
curl -sf "$garden/containers/demo/files?source=/data/hello.txt" | tar -xOf -
rm -rf "$src"

step "volumes: create, stream in (gzip), copy-on-write child, stream out"
curl -sf -XDELETE "$bc/volumes/demo-parent" -o /dev/null || true
curl -sf -XDELETE "$bc/volumes/demo-child" -o /dev/null || true
curl -sf -XPOST "$bc/volumes" -d '{"handle":"demo-parent","strategy":{"type":"empty"}}'; echo
src=$(mktemp -d); echo "in a volume" >"$src/file"
tar -C "$src" -czf - . | curl -sf -XPUT -H 'Content-Encoding: gzip' --data-binary @- \
  "$bc/volumes/demo-parent/stream-in?path=sub"
rm -rf "$src"
curl -sf -XPOST "$bc/volumes" \
  -d '{"handle":"demo-child","strategy":{"type":"cow","volume":"demo-parent"}}'; echo
curl -sf -XPUT "$bc/volumes/demo-child/stream-out?path=sub" | tar -xOf - ./file

step "clean up"
curl -sf -XDELETE "$garden/containers/demo"; echo
curl -sf -XDELETE "$bc/volumes/demo-child" -o /dev/null -w 'volume destroy: %{http_code}\n'
curl -sf -XDELETE "$bc/volumes/demo-parent" -o /dev/null -w 'volume destroy: %{http_code}\n'
if [[ $keep == 1 ]]; then
  echo "quickstart still running (pid $qs_pid): fly -t quickstart workers; log: $work/quickstart.log"
else
  echo "done; log: $work/quickstart.log"
fi
