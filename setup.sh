#!/usr/bin/env bash
# Sets lockstep up on Debian 12 and runs it.
#   ./setup.sh demo    install what is missing, build, run a fuzz campaign on demo/abba
#   ./setup.sh test    install what is missing, build (plain and ASan+UBSan), run every test
#   ./setup.sh build   install what is missing and build
set -euo pipefail
cd "$(dirname "$0")"
mode=${1:-build}

# chromium: the timeline suite renders `lockstep replay --html` pages in it, headless.
# scdoc: the man pages (docs/man).  libjansson-dev: JSON read back from child commands.
packages=(meson ninja-build clang libclang-rt-14-dev afl++ libcapstone-dev libunwind-dev chromium
	scdoc libjansson-dev)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "setup: installing ${missing[*]}"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The kernel tree the kernel-source suite runs on (docs/kernel-source.md): Debian's 6.12 source,
# of which only the files the kernel backends compile (src/ksrc/build.c) and their headers are
# extracted, into the directory the package's own README would unpack it to.
KERNEL_TREE=/usr/src/linux-source-6.12
kernel_tree() {
	local tarball=/usr/src/linux-source-6.12.tar.xz sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	if [ ! -f "$tarball" ]; then
		echo "setup: installing linux-source-6.12 (the kernel tree of the kernel-source suite)"
		$sudo apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
			linux-source-6.12 >/dev/null
	fi
	local files=(kernel/locking/qspinlock.c kernel/locking/mcs_spinlock.h
		kernel/locking/qspinlock_stat.h kernel/locking/lock_events.h
		kernel/locking/lock_events_list.h kernel/locking/qspinlock_paravirt.h
		include/asm-generic/qspinlock.h include/asm-generic/qspinlock_types.h
		include/asm-generic/mcs_spinlock.h lib/llist.c include/linux/llist.h
		kernel/irq_work.c include/linux/irq_work.h include/linux/irq_work_types.h
		include/linux/smp_types.h)
	local f missing=()
	for f in "${files[@]}"; do
		[ -f "$KERNEL_TREE/$f" ] || missing+=("linux-source-6.12/$f")
	done
	if ((${#missing[@]})); then
		echo "setup: extracting ${#missing[@]} files of $tarball into $KERNEL_TREE"
		$sudo tar -xJf "$tarball" -C /usr/src "${missing[@]}"
	fi
}

build() { # dir [meson options...]
	local dir=$1
	shift
	[ -f "$dir/build.ninja" ] || meson setup "$dir" "$@" >/dev/null
	ninja -C "$dir" >/dev/null
}

build build

case "$mode" in
build)
	echo "setup: built build/lockstep; run it from there, or install it on PATH with" \
		"'meson install -C build'"
	;;
demo)
	echo "setup: fuzzing demo/abba:buggy (two CPUs, two spinlocks, opposite orders)"
	set +e
	./build/lockstep fuzz demo/abba:buggy --engine random --execs 100000
	rc=$?
	set -e
	# Exit 1 means "bug found", which is what this demo is for.
	[ "$rc" -eq 1 ] || { echo "setup: expected the campaign to find the deadlock (exit $rc)" >&2; exit 1; }
	echo "setup: lockstep is build/lockstep (or on PATH after 'meson install -C build');" \
		"the finding is in crashes/, which git ignores"
	;;
test)
	kernel_tree
	build build-asan -Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fno-sanitize-recover=all -Dc_link_args=-fno-sanitize-recover=all
	passed=0 failed=0 status=0
	for dir in build build-asan; do
		echo "setup: meson test -C $dir"
		set +e
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
			meson test -C "$dir" --print-errorlogs --num-processes 2 > "$dir/test-output.txt" 2>&1
		rc=$?
		set -e
		cat "$dir/test-output.txt"
		[ "$rc" -eq 0 ] || status=1
		ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$dir/test-output.txt")
		bad=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$dir/test-output.txt")
		to=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' "$dir/test-output.txt")
		passed=$((passed + ${ok:-0}))
		failed=$((failed + ${bad:-0} + ${to:-0}))
	done
	echo "lockstep: $passed passed, $failed failed"
	exit "$status"
	;;
*)
	echo "usage: $0 [demo|test|build]" >&2
	exit 2
	;;
esac
