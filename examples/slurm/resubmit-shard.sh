#!/bin/bash
# Run one shard again (it was cancelled, or failed past its requeues), continuing where it stopped,
# then merge again: examples/slurm/resubmit-shard.sh I N [sbatch options]   (same TTT_* environment)
set -euo pipefail
i=${1:?usage: resubmit-shard.sh I N [sbatch options]}
n=${2:?usage: resubmit-shard.sh I N [sbatch options]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
job=$(TTT_SHARD="$i/$n" sbatch --parsable "$@" "$here/ttt-shards.sbatch")
job=${job%%;*}
merge=$(sbatch --parsable --dependency="afterany:$job" "$here/ttt-merge.sbatch")
echo "shard ${job}"
echo "merge ${merge%%;*}"
