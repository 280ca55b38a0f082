#!/bin/sh
# The house rules of lib/, checked on the source tree (no build needed):
#
#   - the library never includes the commands' front end (cmd/cli.h);
#   - the library never prints: no stdio stdout/stderr, no printf / puts /
#     perror / putchar / vprintf, no write() or dprintf() to fd 1 or 2, no
#     STDERR_FILENO (comments and string literals do not count; stdout as
#     the data output a command asks for with "-" goes through io.c's
#     igr_out on STDOUT_FILENO, which is not printing);
#   - no include circle between modules (scripts/check-includes);
#   - every model in lib/models/ is in the registry, lib/model_registry.c.
#
# Each check is first run on a temporary copy with a planted violation, so
# a check that cannot see anything fails instead of passing.
. "$(dirname "$0")/lib.sh"

LIB=$TOP/lib

# lib_includes_cli DIR: the files under DIR that include cli.h.
lib_includes_cli() {
	grep -rlE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^">]*/)?cli\.h[">]' \
		--include='*.[ch]' "$1"
}

# lib_prints DIR: FILE:LINE: CODE of every line under DIR that prints,
# scanning the code with comments and string and character literals blanked.
lib_prints() {
	python3 - "$1" <<'EOF'
import os, re, sys

BAD = re.compile(r'''
    \b(stdout|stderr|STDERR_FILENO)\b
  | (?<![\w])(printf|vprintf|puts|perror|putchar)\s*\(
  | (?<![\w])(write|dprintf|vdprintf)\s*\(\s*(1|2|STDOUT_FILENO)\s*,
''', re.X)
TOKEN = re.compile(r'''
    (?P<c>/\*.*?\*/) | (?P<l>//[^\n]*)
  | (?P<s>"(?:[^"\\\n]|\\.)*") | (?P<ch>'(?:[^'\\\n]|\\.)*')
''', re.X | re.S)

def blank(m):
    # keep the newlines so line numbers stay right
    text = m.group(0)
    if m.group('s') or m.group('ch'):
        return text[0] + re.sub(r'[^\n]', ' ', text[1:-1]) + text[-1]
    return re.sub(r'[^\n]', ' ', text)

for dirpath, dirs, files in os.walk(sys.argv[1]):
    dirs.sort()
    for name in sorted(files):
        if not name.endswith(('.c', '.h')):
            continue
        path = os.path.join(dirpath, name)
        with open(path, encoding='utf-8', errors='replace') as f:
            code = TOKEN.sub(blank, f.read())
        for no, line in enumerate(code.split('\n'), 1):
            if BAD.search(line):
                print('%s:%d: %s' % (path, no, line.strip()))
EOF
}

# unregistered DIR: the models in DIR/models/ that DIR/model_registry.c
# does not include and list.
unregistered() {
	for f in "$1"/models/*.c; do
		[ -f "$f" ] || continue
		m=$(basename "$f" .c)
		grep -q "^#include \"models/$m\.h\"" "$1/model_registry.c" &&
			grep -q "^const struct igr_model_type igr_${m}_model\b" "$f" &&
			sed -n '/igr_model_types\[\] = {/,/};/p' "$1/model_registry.c" |
			grep -q "^[[:space:]]*&igr_${m}_model,"  || echo "$m"
	done
}

# ---- the checks can see a violation ----------------------------------------

mkdir "$T/plant"
cp -R "$LIB" "$T/plant/lib"
P=$T/plant/lib

printf '#include "error.h"\n#include "cli.h"\n' >"$P/zz_cli.c"
printf '#include "../cli.h"\n' >"$P/models/zz_cli.h"
got=$(lib_includes_cli "$P" | sed "s|^$P/||" | sort | tr '\n' ' ')
[ "$got" = "models/zz_cli.h zz_cli.c " ] && pass "cli.h check finds planted includes" ||
	fail "cli.h check finds planted includes" "found: '$got'"

# one violation per line; every line here must be found
cat >"$P/zz_print.c" <<'EOF'
	printf("x\n");
	fprintf(stderr, "x\n");
	fputs("x", stdout);
	fputc('x', stderr);
	puts("x");
	perror("x");
	putchar('x');
	vprintf(fmt, ap);
	fflush(stdout);
	write(1, buf, n);
	write (2, buf, n);
	write(STDOUT_FILENO, buf, n);
	dprintf(2, "x");
	int fd = STDERR_FILENO;
EOF
# and none here (the forms the library does use)
cat >"$P/zz_fine.c" <<'EOF'
/* printf("x") and stderr in a comment; puts( too
 * perror(stdout) */
// fprintf(stderr, "x") in a line comment
	snprintf(buf, sizeof buf, "%d", 1);
	vsnprintf(buf, sizeof buf, fmt, ap);
	n = asprintf(&s, "x");
	fprintf(f, "x");
	fputs(s, f);
	igr_out_printf(out, "x");
	const char *s = "<stdout> stderr printf(";
	char c = '"'; int x = my_printf_like(1);
	ssize_t w = write(fd, buf, n);
	out->fd = STDOUT_FILENO;
	errputs(x); fputchar(y); xwrite(1, b, n);
EOF
want=$(wc -l <"$P/zz_print.c")
got=$(lib_prints "$P" | grep -c '/zz_print\.c:')
[ "$got" -eq "$want" ] && pass "print check finds all $want planted writes" ||
	fail "print check finds all $want planted writes" "found $got:" \
		"$(lib_prints "$P" | grep '/zz_print\.c:')"
got=$(lib_prints "$P" | grep '/zz_fine\.c:')
[ -z "$got" ] && pass "print check ignores comments, strings and snprintf" ||
	fail "print check ignores comments, strings and snprintf" "$got"

mkdir "$T/circle" "$T/circle/models"
printf '#include "b.h"\n' >"$T/circle/a.h"
printf '#include "a.h"\n' >"$T/circle/a.c"
printf '/* b.h */\n' >"$T/circle/b.h"
printf '#include "b.h"\n' >"$T/circle/models/c_internal.h"
printf '#include "c_internal.h"\n' >"$T/circle/models/c.c"
printf '/* c.h */\n' >"$T/circle/models/c.h"
expect "check-includes: no circle, exit 0" 0 "$TOP/scripts/check-includes" "$T/circle"
# b -> models/c -> (its c_internal.h) -> b: a circle of two modules only if
# c_internal.h counts as module models/c
printf '#include "models/c.h"\n' >"$T/circle/b.c"
expect "check-includes finds a planted circle, exit 1" 1 "$TOP/scripts/check-includes" "$T/circle"
grep -qx 'b models/c' "$T/out" && pass "check-includes names the circle" ||
	fail "check-includes names the circle" "$(cat "$T/out")"

printf 'const struct igr_model_type igr_zz_model = { 0 };\n' >"$P/models/zz.c"
got=$(unregistered "$P" | tr '\n' ' ')
[ "$got" = "zz " ] && pass "registry check finds a planted unlisted model" ||
	fail "registry check finds a planted unlisted model" "found: '$got'"

# ---- the tree --------------------------------------------------------------

got=$(lib_includes_cli "$LIB")
[ -z "$got" ] && pass "no file in lib/ includes cli.h" ||
	fail "no file in lib/ includes cli.h" "$got"

got=$(lib_prints "$LIB")
[ -z "$got" ] && pass "no file in lib/ writes to stdout or stderr" ||
	fail "no file in lib/ writes to stdout or stderr" "$got"

expect "no include circle in lib/" 0 "$TOP/scripts/check-includes" "$LIB"
[ -s "$T/out" ] && fail "check-includes lib prints nothing" "$(cat "$T/out")" ||
	pass "check-includes lib prints nothing"

n=$(ls "$LIB"/models/*.c | wc -l)
got=$(unregistered "$LIB")
if [ "$n" -gt 0 ] && [ -z "$got" ]; then
	pass "all $n models in lib/models/ are in lib/model_registry.c"
else
	fail "all models in lib/models/ are in lib/model_registry.c" \
		"$n models; not listed: $got"
fi

finish
