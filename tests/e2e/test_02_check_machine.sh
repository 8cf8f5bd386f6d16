#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# "--check" refuses what a start on this machine would refuse, at FILE:LINE of the key, and a
# start refuses it the same way in one line, before EAL runs (no EAL usage text):
#   - [dpdk] lcores = 0 (no worker), lcores on CPUs this machine does not have;
#   - [dpdk] memory_mb too small for [flows] max (sizes computed without EAL; the smallest
#     memory_mb --check accepts does start);
#   - a second instance with the same file prefix (one line naming the running pid); --check of
#     the running configuration itself passes (the check before a reload);
# and warns (exit 0): mode = policy with no policy loaded, a policies glob matching no file.
set -eu -o pipefail
source "$(dirname "$0")/lib.sh"
egw_init
egw_need_real
C=$EGW_OUT/conf
mkdir -p "$C"
PFX=${EGW_N}test

# run NAME [ARGS...]: egressgw -c $C/NAME.ini ARGS in the appliance's (empty) namespace, output
# in $out, status in $rc.
run()
{
	local f=$C/$1.ini
	shift
	rc=0
	out=$(ip netns exec $EGW_NS_GW timeout 60 "$EGW_BIN" -c "$f" "$@" 2>&1 </dev/null) || rc=$?
	printf '%s\n' "$out" >"$EGW_OUT/$(basename "$f").$#.out"
}

line_of() { grep -n -m1 -E -- "$2" "$1" | cut -d: -f1; } # FILE REGEX

# refused NAME REGEX-OF-LINE MESSAGE: --check exits 1 with MESSAGE at that line, and a start
# exits 1 with the same line, no "ready" and no EAL usage text.
refused()
{
	local name=$1 re=$2 msg=$3 f=$C/$1.ini at
	at="$f:$(line_of "$f" "$re"): "
	run "$name" --check
	assert_eq "$rc" 1 "--check on $name exits 1"
	assert_contains "$out" "$at$msg" "--check on $name: $msg"
	run "$name" -- --no-pci
	assert_eq "$rc" 1 "start with $name exits 1"
	assert_contains "$out" "$at$msg" "start with $name says why at FILE:LINE"
	assert_not_contains "$out" "Usage:" "start with $name prints no EAL usage"
	assert_not_contains "$out" "ready" "start with $name never gets ready"
}

egw_topo_up
ncpu=$(nproc)

# --- lcores
egw_conf "$C/lcores0.ini" "dpdk.lcores=0"
refused lcores0 '^lcores = ' "[dpdk] lcores: '0' gives no worker"
egw_conf "$C/lcores_cpu.ini" "dpdk.lcores=0-1@$ncpu"
refused lcores_cpu '^lcores = ' "[dpdk] lcores: '0-1@$ncpu' runs on CPU $ncpu, which this machine does not give egressgw"

# --- memory for [flows] max: refused below what --check computes, and that much starts
egw_conf "$C/mem.ini" "dpdk.memory_mb=64" "flows.max=1000000"
refused mem '^memory_mb = ' "[dpdk] memory_mb: 64 MiB is too small for [flows] max = 1000000 ($C/mem.ini:$(line_of "$C/mem.ini" '^max = ')) with 1 worker(s)"
need=$(printf '%s' "$out" | sed -n 's/.*needs \([0-9]*\) MiB.*/\1/p' | head -n 1)
assert_ge "$need" 100 "the estimate for 1M flows"
egw_conf "$C/mem_enough.ini" "dpdk.memory_mb=$need" "flows.max=1000000" "dpdk.file_prefix=${EGW_N}mem"
run mem_enough --check
assert_eq "$rc" 0 "--check accepts memory_mb = $need (its own figure)"
assert_contains "$out" "memory: $need of $need MiB" "--check says what the memory is for"
egw_start "$C/mem_enough.ini"
egw_ok "memory_mb = $need starts with [flows] max = 1000000"
egw_stop

# --- a second instance with the same file prefix
egw_conf "$C/running.ini" "dpdk.file_prefix=$PFX"
cp "$C/running.ini" "$C/second.ini"
egw_start "$C/running.ini"
run running --check
assert_eq "$rc" 0 "--check of the running configuration itself passes (the check before a reload)"
assert_contains "$out" "note: egressgw (pid $EGW_PID) runs this configuration" "--check notes the running appliance"
refused second '^file_prefix = ' "[dpdk] file_prefix '$PFX': another DPDK process (pid $EGW_PID, -c $C/running.ini) runs with this prefix"
assert_eq "$(printf '%s\n' "$out" | wc -l)" 1 "a second start says so in one line"
egw_stop

# --- warnings: exit 0, printed
egw_conf "$C/nopolicy.ini" "egress.mode=policy" "egress.policies=nothing-here/*.ini"
run nopolicy --check
assert_eq "$rc" 0 "--check with warnings exits 0"
assert_contains "$out" "config OK" "--check with warnings says config OK"
assert_contains "$out" "$C/nopolicy.ini:$(line_of "$C/nopolicy.ini" '^policies = '): warning: [egress] policies 'nothing-here/*.ini' matches no file" \
	"warning: a policies glob that matches no file"
assert_contains "$out" "$C/nopolicy.ini:$(line_of "$C/nopolicy.ini" '^mode = '): warning: [egress] mode = policy and no policy is loaded" \
	"warning: mode = policy without a policy"
egw_conf "$C/quiet.ini"
run quiet --check
assert_eq "$rc" 0 "--check on the passthrough config exits 0"
assert_not_contains "$out" "warning" "no warning for a passthrough config without policies"
egw_finish
