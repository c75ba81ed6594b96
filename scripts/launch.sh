#!/usr/bin/env bash
# Launches spct on one or more nodes through Open MPI's mpirun, one rank per GPU.
# Prints the mpirun command before running it (to stderr).
#
#   scripts/launch.sh --per-node 8 -H node1:8,node2:8 -- spct grpo --config x.yaml
#   scripts/launch.sh --per-node 8 --hostfile hosts.txt -- build/spct rft --config rft.yaml
#   scripts/launch.sh -n 2 -- build/spct grpo --config tiny.yaml          (this machine only)
#
# Options (before --):
#   -n, --np N           total ranks (default: per-node x number of hosts, else mpirun's choice)
#   -H, --hosts LIST     host1:slots,host2:slots (mpirun -H)
#   --hostfile FILE      an Open MPI hostfile ("node1 slots=8" per line)
#   --per-node N         ranks per node: --map-by ppr:N:node (set it to the GPUs per node)
#   --mpirun-arg ARG     passed to mpirun as is (repeatable), e.g. --mpirun-arg --mca
#   --dry-run            print the command, do not run it
#
# Environment: every NCCL_* and SPCT_* variable set here is forwarded to all ranks with -x
# (NCCL_DEBUG, NCCL_SOCKET_IFNAME, NCCL_IB_HCA, SPCT_NCCL_TIMEOUT_S, ...), as are PATH,
# LD_LIBRARY_PATH and OMP_NUM_THREADS. Nothing is set on the user's behalf: NCCL_NVLS_ENABLE,
# for one, reaches the ranks exactly as it is here (or stays unset).
set -euo pipefail

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit "${1:-0}"; }

np="" hosts="" hostfile="" per_node="" dry_run=0
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    -n|--np) np=$2; shift 2 ;;
    -H|--hosts) hosts=$2; shift 2 ;;
    --hostfile) hostfile=$2; shift 2 ;;
    --per-node) per_node=$2; shift 2 ;;
    --mpirun-arg) extra+=("$2"); shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h|--help) usage 0 ;;
    --) shift; break ;;
    *) echo "launch.sh: unknown option '$1' (the command goes after --)" >&2; usage 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "launch.sh: no command given after --" >&2; usage 2; }
[ -z "$hosts" ] || [ -z "$hostfile" ] || { echo "launch.sh: give -H or --hostfile, not both" >&2; exit 2; }

nodes=1
if [ -n "$hosts" ]; then
  nodes=$(tr ',' '\n' <<<"$hosts" | grep -c .)
elif [ -n "$hostfile" ]; then
  [ -r "$hostfile" ] || { echo "launch.sh: cannot read hostfile '$hostfile'" >&2; exit 2; }
  nodes=$(grep -cvE '^[[:space:]]*(#|$)' "$hostfile")
fi
if [ -z "$np" ] && [ -n "$per_node" ]; then np=$((per_node * nodes)); fi

cmd=(mpirun)
[ -z "$np" ] || cmd+=(-np "$np")
[ -z "$hosts" ] || cmd+=(-H "$hosts")
[ -z "$hostfile" ] || cmd+=(--hostfile "$hostfile")
# Ranks fill a node before the next one, so local rank k of every node drives GPU k.
[ -z "$per_node" ] || cmd+=(--map-by "ppr:${per_node}:node")
# LibTorch runs its own thread pools; pinning each rank to one core would starve them.
cmd+=(--bind-to none)
for var in $(compgen -e | grep -E '^(NCCL_|SPCT_)' || true) PATH LD_LIBRARY_PATH OMP_NUM_THREADS; do
  [ -z "${!var+set}" ] || cmd+=(-x "$var")
done
cmd+=("${extra[@]}" "$@")

# Quoted only where the shell needs it, so the line can be pasted back.
line="+"
for arg in "${cmd[@]}"; do
  if [[ "$arg" =~ ^[A-Za-z0-9_./:,=@%+-]+$ ]]; then line+=" $arg"; else line+=" $(printf '%q' "$arg")"; fi
done
echo "$line" >&2
[ "$dry_run" = 1 ] || exec "${cmd[@]}"
