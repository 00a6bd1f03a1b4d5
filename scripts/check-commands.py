#!/usr/bin/env python3
"""check-commands: every external command the project's scripts run is either
in Debian's base system (Priority: required, what every debootstrap has) or
installed by scripts/deps.sh (its PACKAGES, or what those pull in).

    scripts/check-commands.py [--dpkg] [FILE...]

Scans the shell scripts of tests/, vm/, scripts/, tests/bench/, .ci/run and
the Makefile's recipes (or only FILE...) for words in command position, and
checks each against scripts/commands.txt, the maintained list of
"command package how" lines (how: deps = the package is in deps.sh PACKAGES;
via:PKG = pulled in by PKG of PACKAGES; required = Priority: required;
builtin = a shell builtin or keyword; project = a function, script or binary
of the project). Checked both ways: a command the scripts use that the list
lacks fails, and so does a list entry no script uses any more.
--dpkg also checks the list against this machine: each command's file belongs
to the package named, and "required" packages have Priority: required.
Exit status: 0 all known, 1 a problem (each printed), 2 bad usage.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIST = os.path.join(ROOT, "scripts", "commands.txt")

# Words after which the next word is again in command position.
PREFIX_KEYWORDS = {"then", "do", "else", "elif", "if", "while", "until", "!", "time", "{", "(", "exec", "command",
                   "builtin", "nohup", "setsid", "sudo", "nice", "xargs", "stdbuf", "in_a", "in_b", "in_root"}
# Wrappers and how many non-option words they take before the command.
WRAP_ARGS = {"timeout": 1, "chroot": 1, "wait_for": 1, "flock": 1, "run_logged": 1}
SEPARATORS = {";", "|", "||", "&&", "&", "|&", ";;", "(", ")", "{", "}", "$(", "`", "\n"}
KEYWORDS_SKIP = {"fi", "done", "esac", "}", ")", "in", "function", ";;", "then", "do", "else"}


def script_files():
    files = [os.path.join(ROOT, ".ci", "run"), os.path.join(ROOT, "vm", "run"), os.path.join(ROOT, "vm", "guest-init")]
    for d in ("scripts", "tests/vm", "tests/bench", "tests/fuzz", "tests/fresh"):
        full = os.path.join(ROOT, d)
        for n in sorted(os.listdir(full)) if os.path.isdir(full) else []:
            if n.endswith(".sh"):
                files.append(os.path.join(full, n))
    return [f for f in files if os.path.isfile(f)]


def strip_heredocs(text):
    out, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        m = re.search(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1", line)
        i += 1
        if m and "<<<" not in line[m.start():m.start() + 3]:
            end = m.group(2)
            script = i < len(lines) and lines[i].startswith("#!")  # a generated script: scan it too
            while i < len(lines) and lines[i].strip() != end:
                out.append(lines[i] if script else "")  # keep the line numbers
                i += 1
            if i < len(lines):
                out.append("")
            i += 1
    return "\n".join(out)


def tokens(text):
    """Shell-ish tokens: single-quoted strings vanish, double-quoted strings
    keep only their command substitutions, comments are dropped."""
    toks, i, n = [], 0, len(text)
    word = ""
    in_dq = False
    pending_nl = 0  # newlines inside a word (quotes, continuations): counted, not separators

    def flush():
        nonlocal word, pending_nl
        if word:
            toks.append(word)
            word = ""
        toks.extend(["\x02"] * pending_nl)
        pending_nl = 0

    while i < n:
        c = text[i]
        if in_dq:
            if c == "\\":
                pending_nl += text[i + 1:i + 2] == "\n"
                i += 2
                continue
            if c == "\n":
                pending_nl += 1
            if c == '"':
                in_dq = False
                word += "\x00"  # a quoted word: never a command name we can know
                i += 1
                continue
            if text.startswith("$(", i) and not text.startswith("$((", i):
                flush()
                toks.append("$(")
                i += 2
                depth = 1
                start = i
                while i < n and depth:
                    if text[i] == "(":
                        depth += 1
                    elif text[i] == ")":
                        depth -= 1
                    i += 1
                toks.extend(tokens(text[start:i - 1]))
                toks.append(")")
                continue
            i += 1
            continue
        if c == "\\" and i + 1 < n:
            if text[i + 1] == "\n":
                pending_nl += 1
                i += 2
                continue
            word += text[i:i + 2]
            i += 2
            continue
        if c == "'":
            j = text.find("'", i + 1)
            pending_nl += text.count("\n", i, n if j < 0 else j)
            i = n if j < 0 else j + 1
            word += "\x00"
            continue
        if c == '"':
            in_dq = True
            i += 1
            continue
        if c == "#" and not word:
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if text.startswith("$((", i) or text.startswith("((", i) and not word:
            depth, i = 0, i + (3 if text.startswith("$((", i) else 2)
            while i < n and not (text.startswith("))", i) and depth == 0):
                depth += {"(": 1, ")": -1}.get(text[i], 0)
                i += 1
            i += 2
            word += "\x00"
            continue
        if text.startswith("$(", i) or text.startswith("<(", i) or text.startswith(">(", i):
            flush()
            toks.append("$(")
            i += 2
            continue
        if text.startswith("${", i):
            j = i + 2
            depth = 1
            while j < n and depth:
                depth += {"{": 1, "}": -1}.get(text[j], 0)
                j += 1
            word += "\x00"
            i = j
            continue
        if c in " \t":
            flush()
            i += 1
            continue
        if c == "\n":
            flush()
            toks.append("\n")
            i += 1
            continue
        two = text[i:i + 2]
        if two in ("&&", "||", ";;", "|&"):
            flush()
            toks.append(two)
            i += 2
            continue
        if c in ";|&()`":
            flush()
            toks.append(c)
            i += 1
            continue
        if c in "<>":
            # a redirection: its operator and target are not commands (nor a
            # file descriptor number before it: exec 9>file)
            if word.isdigit():
                word = ""
            flush()
            j = i
            while j < n and text[j] in "<>&|-":
                j += 1
            toks.append("\x01redir")
            i = j
            continue
        word += c
        i += 1
    flush()
    return toks


def commands_in(text):
    """(command, line) pairs of the words in command position."""
    found, toks = [], tokens(strip_heredocs(text))
    at_cmd, skip_words, in_test, case_pat, redir = True, 0, 0, False, False
    case_pending = False
    array_depth = 0
    test_sub = 0
    all_args = False  # need_cmd CMD...: every argument is a command
    line = 1
    prev = None
    for t in toks:
        if t == "\x02":
            line += 1
            continue
        if t == "\n":
            line += 1
        if t == "\x01redir":
            redir = True
            continue
        if redir and t not in SEPARATORS:
            redir = False
            continue
        redir = False
        if in_test:
            if t == "]]" and not test_sub:
                in_test = 0
                continue
            if t == "$(":
                test_sub += 1
                at_cmd = True
                continue
            if t == ")" and test_sub:
                test_sub -= 1
                continue
            if not test_sub:
                continue
        if all_args:
            if t in SEPARATORS:
                all_args = False
            else:
                if re.match(r"^[A-Za-z0-9_.+-]+$", t):
                    found.append((t, line))
                continue
        if case_pat:
            if t == ")":
                case_pat = False
                at_cmd = True
            continue
        if array_depth:
            array_depth += {"(": 1, ")": -1}.get(t, 0)
            continue
        if t == "(" and prev is not None and re.match(r"^[A-Za-z_][A-Za-z0-9_]*\+?=$", prev):
            array_depth = 1  # NAME=( words... ): an array, not a subshell
            continue
        if t in SEPARATORS or t == "$(":
            if t == ";;":
                case_pat = True
            at_cmd = t not in (")", "}")
            if t == ")" and prev == "(":  # name() { ... }: a function definition
                at_cmd = False
            skip_words = 0
            prev = t
            continue
        prev = t
        if not at_cmd:
            if t == "in" and case_pending:
                case_pat = True
                case_pending = False
            continue
        if skip_words:
            if not t.startswith("-"):
                skip_words -= 1
            continue
        if t == "[[":
            in_test = 1
            at_cmd = False
            continue
        if t == "case":
            case_pending = True
            at_cmd = False
            continue
        if re.match(r"^[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=", t):  # assignment
            continue
        if t in PREFIX_KEYWORDS:
            if t in ("exec", "command", "sudo", "nice", "xargs", "stdbuf"):
                found.append((t, line))
            continue
        if t == "need_cmd":
            all_args = True
            continue
        if t in WRAP_ARGS:
            found.append((t, line))
            skip_words = WRAP_ARGS[t]
            continue
        at_cmd = False
        if "\x00" in t or t.startswith("$") or t.startswith("-") or t in KEYWORDS_SKIP:
            continue
        if t in ("ip",):  # ip netns exec NS CMD...
            found.append((t, line))
            continue
        name = t
        if "/" in name:
            if name.startswith("/"):
                name = os.path.basename(name)
            else:
                continue  # a path inside the project
        if re.match(r"^[A-Za-z0-9_.+-]+$", name):
            found.append((name, line))
    return found



def ip_netns_exec(text):
    """Commands run by `ip netns exec NS CMD` / `ip -n`: CMD is a command too."""
    out = []
    for m in re.finditer(r"\bip netns exec \S+ ([A-Za-z0-9_.+-]+)", text):
        out.append((m.group(1), text.count("\n", 0, m.start()) + 1))
    return out


def makefile_recipes(path):
    lines, out = open(path).read().split("\n"), []
    for ln in lines:
        if ln.startswith("\t"):
            out.append(re.sub(r"^\t[@+-]*", "", ln))
        else:
            out.append("")
    text = "\n".join(out)
    text = re.sub(r"\$\(MAKE\)", "make", text)
    return re.sub(r"\$\([^)]*\)|\$\{[^}]*\}|\$[@<^*?]", "\x00", text)


def deps_packages():
    text = open(os.path.join(ROOT, "scripts", "deps.sh")).read()
    m = re.search(r"^PACKAGES=\((.*?)^\)", text, re.S | re.M)
    if not m:
        sys.exit("check-commands: cannot find PACKAGES=( ... ) in scripts/deps.sh")
    body = re.sub(r"#.*", "", m.group(1))
    return {w for w in body.split() if not w.startswith('"')}


def read_list():
    entries = {}
    for n, ln in enumerate(open(LIST), 1):
        ln = ln.split("#", 1)[0].strip()
        if not ln:
            continue
        f = ln.split()
        if len(f) != 3:
            sys.exit(f"check-commands: {LIST}:{n}: want 'command package how', got: {ln}")
        entries[f[0]] = (f[1], f[2], n)
    return entries


def functions_defined(texts):
    names = set()
    for t in texts:
        names.update(re.findall(r"^\s*(?:function\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*\(\)\s*\{?", t, re.M))
    return names


def main(argv):
    dpkg = "--dpkg" in argv
    args = [a for a in argv if a != "--dpkg"]
    if any(a.startswith("-") for a in args):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    full_scan = not args
    files = script_files() if full_scan else [os.path.abspath(a) for a in args]
    texts = {f: open(f, errors="replace").read() for f in files}
    if full_scan:
        texts[os.path.join(ROOT, "Makefile")] = makefile_recipes(os.path.join(ROOT, "Makefile"))
    funcs = functions_defined(texts.values())
    used = {}
    for f, t in texts.items():
        for cmd, line in commands_in(t) + ip_netns_exec(t):
            if cmd in funcs:
                continue
            used.setdefault(cmd, f"{os.path.relpath(f, ROOT)}:{line}")

    entries, pkgs, problems = read_list(), deps_packages(), []
    for cmd, where in sorted(used.items()):
        if cmd not in entries:
            problems.append(f"{where}: runs '{cmd}', which neither Debian's base system nor scripts/deps.sh is "
                            f"known to install: add its package to PACKAGES in scripts/deps.sh and a line "
                            f"'{cmd} PACKAGE deps' to scripts/commands.txt (or stop using it)")
    for cmd, (pkg, how, n) in sorted(entries.items()):
        if how == "deps" and pkg not in pkgs:
            problems.append(f"scripts/commands.txt:{n}: '{cmd}' comes from {pkg}, which is not in PACKAGES of scripts/deps.sh")
        elif how.startswith("via:") and how[4:] not in pkgs:
            problems.append(f"scripts/commands.txt:{n}: '{cmd}': {how[4:]} is not in PACKAGES of scripts/deps.sh")
        elif how not in ("deps", "required", "builtin", "project") and not how.startswith("via:"):
            problems.append(f"scripts/commands.txt:{n}: unknown how '{how}' (deps, via:PKG, required, builtin, project)")
        if full_scan and cmd not in used:
            problems.append(f"scripts/commands.txt:{n}: '{cmd}' is not used by any script any more: remove the line")
    if dpkg:
        problems.extend(check_dpkg(entries))
    for p in problems:
        print(f"check-commands: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"check-commands: {len(used)} commands in {len(texts)} files, all installed by deps.sh or in Debian's base")
    return 0


def check_dpkg(entries):
    """The list against this machine's dpkg database, in two dpkg-query calls."""
    problems, where, paths = [], {}, set()
    for cmd, (pkg, how, n) in entries.items():
        if how not in ("deps", "required") and not how.startswith("via:"):
            continue
        path = next((os.path.join(d, cmd) for d in ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin",
                                                      "/sbin", "/bin") if os.path.exists(os.path.join(d, cmd))), None)
        if not path:
            problems.append(f"scripts/commands.txt:{n}: '{cmd}' is not installed on this machine (run make deps)")
            continue
        cands = {path, os.path.realpath(path)}
        cands |= {c.replace("/usr/", "/", 1) for c in cands if c.startswith("/usr/")}
        where[cmd] = cands
        paths |= cands
    owners = {}
    r = subprocess.run(["dpkg-query", "-S"] + sorted(paths), capture_output=True, text=True)
    for ln in r.stdout.splitlines():
        pkgs, _, f = ln.partition(": ")
        owners.setdefault(f.strip(), set()).update(x.strip().split(":")[0] for x in pkgs.split(","))
    wanted = sorted({pkg for pkg, how, _ in entries.values() if how == "required"})
    r = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${Priority}\\n"] + wanted, capture_output=True, text=True)
    prio = dict(ln.split(" ", 1) for ln in r.stdout.splitlines() if " " in ln)
    for cmd, cands in sorted(where.items()):
        pkg, how, n = entries[cmd]
        got = set().union(*(owners.get(c, set()) for c in cands))
        if got and pkg not in got:
            problems.append(f"scripts/commands.txt:{n}: '{cmd}' belongs to {', '.join(sorted(got))}, not {pkg}")
        if how == "required" and prio.get(pkg) != "required":
            problems.append(f"scripts/commands.txt:{n}: '{cmd}': {pkg} has Priority {prio.get(pkg, '?')}, not required "
                            f"(a fresh debootstrap may lack it): install it from scripts/deps.sh")
    return problems


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
