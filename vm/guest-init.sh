#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# /init of the kernel-lab guest (vm/run_qemu.sh builds the initramfs around it). Mounts what
# tlbstat needs, runs the steps the kernel command line asks for (tlblab.mode=smoke|shell), and
# prints each result on ONE console line between markers the host parses:
#   TLBLAB-JSON <step> <json>     the step's JSON output, newlines removed
#   TLBLAB-RC <step> <status>     its exit status
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

step_info() {
	printf '{"kernel": "%s", "cpus": %s, "tlb_invalidation": %s, "mmu_notifier_invalidation": %s}\n' \
		"$(uname -r)" "$(grep -c ^processor /proc/cpuinfo)" \
		"$([ -d /sys/kernel/tracing/events/tlb/tlb_invalidation ] && echo true || echo false)" \
		"$([ -d /sys/kernel/tracing/events/mmu_notifier/mmu_notifier_invalidation ] &&
			echo true || echo false)" >/tmp/info.json
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

# the LAB-ONLY probe module (probes/x86), when the initramfs has it: its cycle table, each line
# marked (TCG cycles are the emulator's, not hardware's)
step_probe() {
	[ -f /lab/tlbprobe.ko ] || return 0
	insmod /lab/tlbprobe.ko iterations=2000
	rc=$?
	if [ $rc = 0 ]; then
		echo "TLBLAB-PROBE # under QEMU TCG: emulation cycles, not hardware"
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
	step_stat
	step_record
	step_probe
	step_notifier
	echo "TLBLAB-DONE"
	;;
esac
sync
poweroff -f
