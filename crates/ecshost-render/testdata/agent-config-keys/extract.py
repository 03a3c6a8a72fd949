#!/usr/bin/env python3
"""Extract every environment variable the ECS agent's agent/config package
reads on Linux, from the agent's source (a git mirror), without a Go toolchain.

Usage: extract.py MIRROR_GIT_DIR [COMMIT] > keys.txt

How: for each non-test .go file of agent/config built on Linux (no build
constraint, or one that holds for GOOS=linux), it
  1. resolves string constants (`name = "VALUE"`),
  2. finds the package's env-reading helpers: functions whose string
     parameter reaches os.Getenv/os.LookupEnv or another helper (e.g.
     parseBooleanDefaultFalseConfig(envVarName string), parseReservedPorts),
  3. records every os.Getenv/os.LookupEnv/helper call whose argument is a
     string literal or a resolved constant.
Output: one line per key, `KEY<TAB>reader<TAB>enclosing function`, sorted by
key (a key read in several places gets one line per place, first by file
order); '#' lines are the header.
"""
import re
import subprocess
import sys

GO_READERS = ("os.Getenv", "os.LookupEnv")


def git(mirror, *args):
    return subprocess.run(["git", "-C", mirror, *args], check=True,
                          capture_output=True, text=True).stdout


def built_on_linux(src):
    m = re.search(r"^//go:build (.+)$", src, re.M)
    if not m:
        return True
    expr = m.group(1)
    # Evaluate the constraint for linux/amd64 (only GOOS tags occur here).
    py = re.sub(r"!", " not ", expr).replace("&&", " and ").replace("||", " or ")
    names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", py)) - {"and", "or", "not"}
    env = {n: n in ("linux", "unix", "amd64") for n in names}
    return bool(eval(py, {}, env))


def functions(src):
    """(name, params, body, start) of each top-level func, methods included."""
    out = []
    for m in re.finditer(r"^func (?:\([^)]*\) )?(\w+)\(([^)]*)\)[^{]*\{", src, re.M):
        depth, i = 1, m.end()
        while depth and i < len(src):
            c = src[i]
            if c == "`":
                i = src.index("`", i + 1)
            elif c == '"':
                j = i + 1
                while src[j] != '"':
                    j += 2 if src[j] == "\\" else 1
                i = j
            elif c == "/" and src[i + 1] == "/":
                i = src.index("\n", i)
            elif c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            i += 1
        out.append((m.group(1), m.group(2), src[m.end():i], m.start()))
    return out


def main():
    mirror = sys.argv[1]
    commit = sys.argv[2] if len(sys.argv) > 2 else "HEAD"
    commit = git(mirror, "rev-parse", commit).strip()
    files = [f for f in git(mirror, "ls-tree", "-r", "--name-only", commit, "agent/config").split()
             if f.endswith(".go") and not f.endswith("_test.go")]
    sources = {}
    for f in files:
        src = git(mirror, "show", f"{commit}:{f}")
        if built_on_linux(src):
            sources[f] = src
    consts = {}
    for src in sources.values():
        for name, value in re.findall(r'^\s*(\w+)\s*(?:string\s*)?=\s*"([^"]*)"', src, re.M):
            consts.setdefault(name, value)
    funcs = [fn for src in sources.values() for fn in functions(src)]
    # Helpers: a string parameter that flows into a reader (to a fixed point).
    readers = {r: 0 for r in GO_READERS}
    changed = True
    while changed:
        changed = False
        for name, params, body, _ in funcs:
            if name in readers:
                continue
            pnames = [p.split()[0] for p in params.split(",") if p.strip().endswith("string")]
            pnames += [p.strip() for p in params.split(",") if p.strip() and len(p.split()) == 1]
            for p in pnames:
                if any(re.search(rf"{re.escape(r)}\(\s*{p}\s*[,)]", body) for r in readers):
                    readers[name] = 0
                    changed = True
                    break
    env_key = re.compile(r"^[A-Z][A-Z0-9_]*$")
    rows = []
    for name, params, body, _ in funcs:
        for r in readers:
            for m in re.finditer(rf"(?<![\w.]){re.escape(r)}\(\s*(\"[^\"]*\"|\w+)\s*[,)]", body):
                arg = m.group(1)
                key = arg[1:-1] if arg.startswith('"') else consts.get(arg)
                if key and env_key.match(key):
                    # os.Getenv wrapped in a parser (utils.ParseBool(os.Getenv(K), d), ...)
                    wrap = re.search(r"([\w.]+)\(\s*$", body[max(0, m.start() - 40):m.start()])
                    how = f"{wrap.group(1)}({r})" if r in GO_READERS and wrap else r
                    rows.append((key, how, name))
    seen = set()
    uniq = []
    for row in rows:
        if row not in seen:
            seen.add(row)
            uniq.append(row)
    uniq.sort(key=lambda r: r[0])
    print(f"# Environment variables read by aws/amazon-ecs-agent agent/config on Linux")
    print(f"# source commit: {commit}")
    print(f"# files: {' '.join(sorted(sources))}")
    print(f"# regenerate: python3 crates/ecshost-render/testdata/agent-config-keys/extract.py "
          f"/work/.mirror/aws+amazon-ecs-agent/repo {commit} > crates/ecshost-render/testdata/agent-config-keys/keys.txt")
    print(f"# columns: KEY<TAB>how it is read<TAB>in which function; {len({r[0] for r in uniq})} keys")
    for key, r, fn in uniq:
        print(f"{key}\t{r}\t{fn}")


if __name__ == "__main__":
    main()
