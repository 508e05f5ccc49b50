#!/bin/sh
# A single-node Slurm cluster of its own in a scratch folder, for the fleet
# replay test and benchmark: its own slurm.conf (localhost, free ports, state
# and spool in the folder, proctrack/linuxproc), its own munge key and munged
# socket, slurmctld and slurmd in the foreground, started in the background
# here. Every daemon's pid goes into DIR/pids, one a line, as soon as it
# starts, so whoever started the cluster stops exactly those processes.
#
#   cluster.sh start DIR [CPUS]   prints "ok" when the node is idle, else the
#                                 problem (exit 1); then: SLURM_CONF=DIR/slurm.conf
#   cluster.sh stop DIR           stops the daemons listed in DIR/pids
set -u
command=${1:-}
dir=${2:-}
cpus=${3:-2}
[ -n "$dir" ] || { echo "usage: $0 start|stop DIR [CPUS]"; exit 2; }

stop() {
  [ -f "$dir/pids" ] || return 0
  for pid in $(cat "$dir/pids"); do kill "$pid" 2>/dev/null; done
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    alive=0
    for pid in $(cat "$dir/pids"); do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.2
  done
  for pid in $(cat "$dir/pids"); do kill -9 "$pid" 2>/dev/null; done
  rm -f "$dir/pids"
}

fail() {
  echo "$1"
  stop
  exit 1
}

# A TCP port nothing listens on now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

case "$command" in
stop) stop; exit 0 ;;
start) ;;
*) echo "usage: $0 start|stop DIR [CPUS]"; exit 2 ;;
esac

for tool in munged slurmctld slurmd sbatch squeue sinfo python3; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed (Debian: slurmctld slurmd slurm-client munge)"
done
[ "$(id -u)" = 0 ] || fail "slurmd runs jobs as their user only as root: this test needs root"

dir=$(cd "$dir" && pwd) || exit 1
mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
chmod 700 "$dir/munge"
: > "$dir/pids"
head -c 1024 /dev/urandom > "$dir/munge/munge.key"
chmod 400 "$dir/munge/munge.key"
ctld_port=$(free_port)
d_port=$(free_port)
while [ "$d_port" = "$ctld_port" ]; do d_port=$(free_port); done

cat > "$dir/slurm.conf" <<CONF
ClusterName=copper$$
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/builtin
# Schedule the next array task as soon as one ends (the default waits up
# to 3 s between rounds: most of a short segment job's time).
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
SwitchType=switch/none
NodeName=copper1 NodeHostname=localhost NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=copper1 Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"

munged -F -f --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
  --log-file="$dir/munge/munged.log" --pid-file="$dir/munge/munged.pid" --seed-file="$dir/munge/munged.seed" \
  > "$dir/munged.out" 2>&1 &
echo $! >> "$dir/pids"
for _ in $(seq 50); do [ -S "$dir/munge/munge.socket" ] && break; sleep 0.1; done
[ -S "$dir/munge/munge.socket" ] || fail "munged did not start: $(tail -n 3 "$dir/munged.out" | tr '\n' ' ')"

slurmctld -D -f "$SLURM_CONF" > "$dir/slurmctld.out" 2>&1 &
echo $! >> "$dir/pids"
slurmd -D -N copper1 -f "$SLURM_CONF" > "$dir/slurmd.out" 2>&1 &
echo $! >> "$dir/pids"

for _ in $(seq 100); do
  state=$(sinfo -h -N -o %T 2>/dev/null)
  [ "$state" = idle ] && { echo ok; exit 0; }
  sleep 0.2
done
fail "the node did not come up (state: ${state:-none}): $(tail -n 3 "$dir/slurmctld.out" "$dir/slurmd.out" 2>/dev/null | tr '\n' ' ')"
