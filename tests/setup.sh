#!/usr/bin/env bash
# The set-up half of `deno task test` (deno.json): makes this machine able to run the tests,
# then the task runs `deno test --frozen --cached-only`. Idempotent and quick when all is there.
#   1. System tools the tests compare against or build with (Debian/Ubuntu packages): installed
#      with apt-get when missing and running as root (or with passwordless sudo); otherwise it
#      stops at once, printing the one command to run.
#   2. tracefs mounted at /sys/kernel/tracing (root only, best effort).
#   3. Deno dependencies fetched once, up front, as deno.lock pins them (`deno install --frozen`);
#      nothing downloads later: tests and the CLI children they start run with --cached-only.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
export DEBIAN_FRONTEND=noninteractive

say() { printf '[setup] %s\n' "$*" >&2; }

# command or file -> Debian package providing it
need=(
  "clang:clang" "llc:llvm" "cc:gcc" "bpftool:bpftool" "perf:linux-perf" "pahole:dwarves"
  "zstd:zstd" "/usr/include/bpf/libbpf.h:libbpf-dev" "libbpf.so.1:libbpf1"
)
have() {
  case "$1" in
  /*) [ -e "$1" ] ;;
  *.so.*) ldconfig -p 2>/dev/null | grep -q "$1" ;;
  *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}
missing=()
for pair in "${need[@]}"; do
  have "${pair%%:*}" || missing+=("${pair#*:}")
done

if [ "${#missing[@]}" -gt 0 ]; then
  # Ubuntu ships perf and bpftool in linux-tools; Debian as linux-perf and bpftool.
  if [ -r /etc/os-release ] && grep -qi '^ID=ubuntu' /etc/os-release; then
    for i in "${!missing[@]}"; do
      case "${missing[$i]}" in
      linux-perf | bpftool) missing[i]="linux-tools-common linux-tools-$(uname -r)" ;;
      esac
    done
  fi
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | tr ' ' '\n' | sort -u)
  install_cmd="apt-get install -y --no-install-recommends ${missing[*]}"
  as_root=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      as_root=(sudo -n)
    else
      say "the tests need packages that are missing: ${missing[*]}"
      say "run this once, then run the tests again:"
      echo "sudo apt-get update && sudo $install_cmd" >&2
      exit 1
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    say "the tests need: ${missing[*]} (Debian/Ubuntu package names); no apt-get here: install them"
    exit 1
  fi
  log=$(mktemp)
  say "installing ${missing[*]} (apt-get)"
  timeout 300 "${as_root[@]}" apt-get update -qq </dev/null >"$log" 2>&1 ||
    say "apt-get update failed (continuing): $(tail -n 1 "$log")"
  if ! timeout 600 "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    </dev/null >>"$log" 2>&1; then
    say "apt-get install failed:"
    tail -n 20 "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
  hash -r
fi

if [ ! -d /sys/kernel/tracing/events ] && [ "$(id -u)" -eq 0 ]; then
  mount -t tracefs nodev /sys/kernel/tracing </dev/null 2>/dev/null ||
    say "could not mount tracefs at /sys/kernel/tracing (tests that need it will say so)"
fi

# Already cached: nothing to fetch, no network. Otherwise fetch once, pinned by deno.lock.
if ! deno install --frozen --cached-only --quiet >/dev/null 2>&1; then
  say "fetching the Deno dependencies pinned by deno.lock (once)"
  deno install --frozen --quiet </dev/null || {
    say "could not fetch the Deno dependencies (network?): see the error above"
    exit 1
  }
fi
