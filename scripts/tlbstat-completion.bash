# SPDX-License-Identifier: GPL-2.0
# bash completion for tlbstat (and perf-tlb, the same program). Installed as
# $(PREFIX)/share/bash-completion/completions/tlbstat (and .../perf-tlb, a link).
#
# One source of truth, perf's habit: nothing here lists a command, an option or an event. Every
# word comes from the program being completed, at completion time:
#   tlbstat --list-cmds        the commands
#   tlbstat --list-opts        the dispatcher's own options
#   tlbstat CMD --list-opts    every long and short option of CMD's table ('=': takes a value)
#   tlbstat --list-events      record -e / top --events names (short names, sys:name)

# The program to ask: the word being completed ran as typed (./build/tlbstat, perf-tlb, tlbstat)
__tlbstat_prog()
{
	local p=${COMP_WORDS[0]}

	p=${p/#\~/$HOME}
	if [[ $p == */* && -x $p ]] || type -P "$p" >/dev/null 2>&1; then
		printf '%s' "$p"
	else
		printf 'tlbstat'
	fi
}

# COMPREPLY from a word list (one a line) matching $2; $3 (optional) a prefix kept in front
# (the "tlb,ipi," of a comma list being completed)
__tlbstat_reply()
{
	local IFS=$'\n' w
	COMPREPLY=()
	for w in $1; do
		[[ $3$w == "$2"* ]] && COMPREPLY+=("$3$w")
	done
}

# events for a comma list: complete the last item, keep the ones before it
__tlbstat_events()
{
	local prog=$1 cur=$2 head=""

	[[ $cur == *,* ]] && head=${cur%,*},
	__tlbstat_reply "$("$prog" --list-events 2>/dev/null)" "$cur" "$head"
	# more items may follow: no space after a completed name
	compopt -o nospace 2>/dev/null || true
}

_tlbstat()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev="" prog cmd="" i opts
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	prog=$(__tlbstat_prog)
	COMPREPLY=()

	# the command: the first word after the program that is not an option
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--) return 0 ;;	# a workload's own words: bash's default (files) via -o default
		-*) ;;
		*) [ -z "$cmd" ] && cmd=${COMP_WORDS[i]} ;;
		esac
	done
	if [ -z "$cmd" ]; then
		if [[ $cur == -* ]]; then
			__tlbstat_reply "$("$prog" --list-opts 2>/dev/null)" "$cur"
		else
			__tlbstat_reply "$("$prog" --list-cmds 2>/dev/null)" "$cur"
		fi
		return 0
	fi
	if [ "$cmd" = help ]; then
		__tlbstat_reply "$("$prog" --list-cmds 2>/dev/null)" "$cur"
		return 0
	fi
	case $prev in
	-e|--events) __tlbstat_events "$prog" "$cur"; return 0 ;;
	esac
	case $cur in
	--events=*) __tlbstat_events "$prog" "${cur#--events=}"
		    COMPREPLY=("${COMPREPLY[@]/#/--events=}"); return 0 ;;
	-*)
		opts=$("$prog" "$cmd" --list-opts 2>/dev/null)
		__tlbstat_reply "${opts//=/}" "$cur"
		return 0 ;;
	esac
	# a value of another option (a file, a pid, a duration): bash's default, via -o default
	return 0
}

complete -o default -F _tlbstat tlbstat perf-tlb
