#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# /init of the kernel-lab guest (vm/run_qemu.sh builds the initramfs around it), x86-64 or arm64.
# Mounts what tlbstat needs, runs the steps the kernel command line asks for
# (tlblab.mode=smoke|shell), and prints each result on ONE console line between markers the host
# parses:
#   TLBLAB-JSON <step> <json>     the step's JSON output, newlines removed
#   TLBLAB-RC <step> <status>     its exit status
#   TLBLAB-OUT <step> <line>      a line a step printed for people (arm64: tlbstat's message
#                                 about the missing event, transport's table)
#   TLBLAB-PROBE <line>           the probe module's results table
#   TLBLAB-DONE                   every step ran; the host fails a run that lacks it
# then powers off. Nothing here decides pass or fail: vm/check_console.py does, on the host.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/lab
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
# the churn's probe thread runs SCHED_FIFO: let it have the whole second, as on the host tests
echo -1 >/proc/sys/kernel/sched_rt_runtime_us 2>/dev/null

mode=smoke
ops=5000
for a in $(cat /proc/cmdline); do
	case $a in
	tlblab.mode=*) mode=${a#tlblab.mode=} ;;
	tlblab.ops=*) ops=${a#tlblab.ops=} ;;
	esac
done

# emit STEP FILE: the file's JSON on one line (JSON strings never hold a raw newline)
emit() {
	printf 'TLBLAB-JSON %s %s\n' "$1" "$(tr -d '\n\r' <"$2")"
}

# has EVENT: true when tracefs has the event (system/name)
has() {
	[ -d "/sys/kernel/tracing/events/$1" ] && echo true || echo false
}

# out STEP FILE: the file's lines for people, each marked
out() {
	sed "s/^/TLBLAB-OUT $1 /" "$2"
}

step_info() {
	printf '{"kernel": "%s", "arch": "%s", "cpus": %s, "uptime_s": %s, "tlb_flush": %s, "tlb_invalidation": %s, "mmu_notifier_invalidation": %s}\n' \
		"$(uname -r)" "$(uname -m)" "$(grep -c ^processor /proc/cpuinfo)" \
		"$(cut -d' ' -f1 /proc/uptime)" \
		"$(has tlb/tlb_flush)" "$(has tlb/tlb_invalidation)" \
		"$(has mmu_notifier/mmu_notifier_invalidation)" >/tmp/info.json
	emit info /tmp/info.json
	echo "TLBLAB-RC info 0"
}

# stat -a beside the churn: its remote shootdowns against the TLB: interrupts of the same span
step_stat() {
	tlbstat stat -a --json -o /tmp/stat.json -- \
		tlbbench mmap --threads 1 --ops "$ops" --probe-fifo >/tmp/stat.out 2>&1
	rc=$?
	[ $rc = 0 ] || cat /tmp/stat.out
	emit stat /tmp/stat.json
	echo "TLBLAB-RC stat $rc"
}

# record + report: the report must name the victim (the spinning probe thread)
step_record() {
	tlbstat record -o /tmp/lab.data -- \
		tlbbench mmap --ops "$ops" --probe-fifo --json >/tmp/bench.json 2>/tmp/rec.err
	rc=$?
	[ $rc = 0 ] || cat /tmp/rec.err
	emit bench /tmp/bench.json
	echo "TLBLAB-RC record $rc"
	tlbstat report -i /tmp/lab.data --json >/tmp/report.json 2>/tmp/rep.err
	rc=$?
	[ $rc = 0 ] || cat /tmp/rep.err
	emit report /tmp/report.json
	echo "TLBLAB-RC report $rc"
}

# arm64: how remote flushes travel (a broadcast TLBI: no IPI, no victim to observe)
step_transport() {
	tlbstat transport --json >/tmp/transport.json 2>/tmp/transport.err
	rc=$?
	[ $rc = 0 ] || cat /tmp/transport.err
	emit transport /tmp/transport.json
	tlbstat transport >/tmp/transport.txt 2>&1
	out transport /tmp/transport.txt
	echo "TLBLAB-RC transport $rc"
}

# arm64: tlb:tlb_flush exists (mm/rmap.c creates the tlb trace points on every architecture)
# but only x86 fires it. Count what it fires during a churn, straight from tracefs, beside the
# munmaps tlbbench made: the host checks it stays silent
step_silent() {
	T=/sys/kernel/tracing
	[ -d $T/events/tlb/tlb_flush ] || return 0
	echo 0 >$T/tracing_on
	echo >$T/trace
	echo 1 >$T/events/tlb/tlb_flush/enable
	echo 1 >$T/tracing_on
	tlbbench mmap --threads 1 --ops 200 --json >/tmp/silent-bench.json
	rc=$?
	echo 0 >$T/tracing_on
	echo 0 >$T/events/tlb/tlb_flush/enable
	printf '{"tlb_flush_events": %s}\n' "$(grep -c ' tlb_flush: ' $T/trace)" >/tmp/silent.json
	emit silent /tmp/silent.json
	emit silentbench /tmp/silent-bench.json
	echo "TLBLAB-RC silent $rc"
}

# arm64, stock kernel: no tlb:tlb_invalidation and a silent tlb:tlb_flush; what tlbstat stat
# says about it (its exit status is whatever tlbstat documents for a missing event)
step_missing() {
	tlbstat stat --json -o /tmp/stat.json -- tlbbench mmap --threads 1 --ops 200 \
		>/tmp/missing.out 2>&1
	rc=$?
	out stat /tmp/missing.out
	[ -s /tmp/stat.json ] && emit stat /tmp/stat.json
	echo "TLBLAB-RC stat-missing $rc"
}

# arm64, patched kernel: stat counts tlb:tlb_invalidation beside tlbbench's own munmap count;
# record + report --threads names the churning thread (a broadcast has no victim to name)
# An arm64 munmap fires the event once or twice: a second flush when it also frees a page
# table, which depends on where the mapping landed (one run counted 10,018 for 5,000 munmaps,
# the next 5,018). So the same events are counted straight from tracefs during the same run
# (tlbbench's lines of the trace buffer), and the host holds stat to that count.
step_stat_inv() {
	T=/sys/kernel/tracing
	echo 0 >$T/tracing_on
	echo 16384 >$T/buffer_size_kb
	echo >$T/trace
	echo 1 >$T/events/tlb/tlb_invalidation/enable
	echo 1 >$T/tracing_on
	tlbstat stat --json -o /tmp/stat.json -- tlbbench mmap --threads 1 --ops "$ops" --json \
		>/tmp/statbench.json 2>/tmp/stat.out
	rc=$?
	echo 0 >$T/tracing_on
	echo 0 >$T/events/tlb/tlb_invalidation/enable
	printf '{"tlbbench_events": %s, "overruns": %s}\n' \
		"$(grep -c '^ *tlbbench-[0-9]* .* tlb_invalidation: ' $T/trace)" \
		"$(awk '/^overrun:/ { s += $2 } END { print s + 0 }' $T/per_cpu/cpu*/stats)" \
		>/tmp/ftrace.json
	echo >$T/trace
	[ $rc = 0 ] || cat /tmp/stat.out
	emit stat /tmp/stat.json
	emit statbench /tmp/statbench.json
	emit ftrace /tmp/ftrace.json
	echo "TLBLAB-RC stat $rc"
}

step_record_inv() {
	tlbstat record -o /tmp/lab.data -- tlbbench mmap --threads 1 --ops "$ops" --json \
		>/tmp/bench.json 2>/tmp/rec.err
	rc=$?
	[ $rc = 0 ] || cat /tmp/rec.err
	emit bench /tmp/bench.json
	echo "TLBLAB-RC record $rc"
	tlbstat report -i /tmp/lab.data --threads --json >/tmp/report.json 2>/tmp/rep.err
	rc=$?
	[ $rc = 0 ] || cat /tmp/rep.err
	emit report /tmp/report.json
	echo "TLBLAB-RC report $rc"
}

# the LAB-ONLY probe module (probes/x86 or probes/arm64), when the initramfs has it: its table,
# each line marked (TCG timings are the emulator's, not hardware's)
step_probe() {
	[ -f /lab/tlbprobe.ko ] || return 0
	insmod /lab/tlbprobe.ko iterations=2000
	rc=$?
	if [ $rc = 0 ]; then
		if [ "$(uname -m)" = aarch64 ]; then
			echo "TLBLAB-PROBE # under QEMU TCG: TCG timings are emulation, not hardware"
			# the same results in the kernel log (below the console's loglevel)
			dmesg | grep 'tlbprobe: .* median ' >/tmp/probe.log
			out probe-log /tmp/probe.log
		else
			echo "TLBLAB-PROBE # under QEMU TCG: emulation cycles, not hardware"
		fi
		sed 's/^/TLBLAB-PROBE /' /sys/kernel/debug/tlbprobe/results
		rmmod tlbprobe
	fi
	echo "TLBLAB-RC probe $rc"
}

# patched kernels: an mmu notifier on the churn's mm (the probe's notify file) makes
# mmu_notifier:mmu_notifier_invalidation fire; record it beside tlb_invalidation
step_notifier() {
	[ -d /sys/kernel/tracing/events/mmu_notifier/mmu_notifier_invalidation ] || return 0
	[ -f /lab/tlbprobe.ko ] || return 0
	insmod /lab/tlbprobe.ko iterations=100 || { echo "TLBLAB-RC notifier 1"; return; }
	# the notifier goes on the mm tlbbench execs into, not the forked shell's: wait for the exec
	tlbstat record -a -e mmu-notifier,tlb-inv -o /tmp/mn.data -- sh -c \
		"tlbbench mmap --threads 1 --ops $ops >/dev/null & p=\$!
		 until [ \"\$(cat /proc/\$p/comm)\" = tlbbench ]; do :; done
		 echo \$p >/sys/kernel/debug/tlbprobe/notify; wait" 2>/tmp/mn.err
	rc=$?
	sed 's/^/TLBLAB-LOG notifier: /' /tmp/mn.err
	dmesg | grep 'tlbprobe: mmu' | sed 's/^/TLBLAB-LOG /'
	rmmod tlbprobe
	tlbstat report -i /tmp/mn.data --json >/tmp/mn.json 2>>/tmp/mn.err || rc=$?
	emit notifier /tmp/mn.json
	echo "TLBLAB-RC notifier $rc"
}

case $mode in
shell)
	echo "tlblab: interactive guest; tlbstat and tlbbench are in /lab; 'poweroff -f' to leave"
	setsid cttyhack sh
	;;
*)
	step_info
	if [ "$(uname -m)" = aarch64 ]; then
		step_transport
		if [ "$(has tlb/tlb_invalidation)" = true ]; then
			step_stat_inv
			step_record_inv
		else
			step_silent
			step_missing
		fi
	else
		step_stat
		step_record
	fi
	step_probe
	step_notifier
	echo "TLBLAB-OUT end uptime $(cut -d' ' -f1 /proc/uptime) s"
	echo "TLBLAB-DONE"
	;;
esac
sync
poweroff -f
