#!/bin/bash
# Submit a sharded solve: an array of N shards and the merge as a job that depends on it.
#   TTT_TASKS=... TTT_ROOT=... [TTT_BIN=...] [TTT_ARGS=...] examples/slurm/submit.sh N [sbatch options]
# Prints "array <id>" and "merge <id>". The sbatch options (e.g. --partition, --time, --gres=gpu:1,
# --cpus-per-task) apply to the shards.
set -euo pipefail
n=${1:?usage: submit.sh N [sbatch options for the shards]}
shift
here=$(cd "$(dirname "$0")" && pwd)
array=$(sbatch --parsable --array="0-$((n - 1))" "$@" "$here/ttt-shards.sbatch")
array=${array%%;*}
merge=$(sbatch --parsable --dependency="afterany:$array" "$here/ttt-merge.sbatch")
echo "array ${array}"
echo "merge ${merge%%;*}"
