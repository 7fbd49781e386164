"""Breaks a process's resident memory down by what is mapped, from /proc/PID/smaps.

Usage: rss.py PID [METRICS_URL] > breakdown.md
With METRICS_URL (the server's Prometheus endpoint), the GC's committed heap is split out of the anonymous memory.
"""
import collections
import os
import re
import sys
import urllib.request


def category(path, server_dir):
    if not path:
        return "anonymous (GC heap, runtime data, native allocations, stacks)"
    if "memfd:doublemapper" in path:
        return "JIT-compiled code, stubs and loader heaps (W^X double mapping)"
    if path in ("[heap]",):
        return "native heap ([heap])"
    if path.startswith("[stack") or path.startswith("[v") or path.startswith("["):
        return "stacks and kernel-provided ([stack], [vdso], ...)"
    if "/shared/Microsoft.NETCore.App/" in path:
        return ".NET runtime: " + ("native (.so: coreclr, JIT, GC)" if path.endswith(".so") else "managed assemblies (.dll)")
    if "/shared/Microsoft.AspNetCore.App/" in path:
        return "ASP.NET Core assemblies (.dll)"
    if server_dir and path.startswith(server_dir):
        name = os.path.basename(path)
        if name.startswith("AblyAuthServer"):
            return "the server's own assembly"
        return "NuGet dependencies (.dll, .so) beside the server"
    if path.endswith(".so") or ".so." in path:
        return "system libraries (libc, OpenSSL, ICU, ...)"
    return "other files"


def main():
    pid = sys.argv[1]
    metrics = sys.argv[2] if len(sys.argv) > 2 else None
    server_dir = os.path.realpath(f"/proc/{pid}/cwd")
    kb = collections.Counter()
    path = None
    with open(f"/proc/{pid}/smaps", encoding="utf-8", errors="replace") as smaps:
        for line in smaps:
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                parts = line.split(None, 5)
                path = parts[5].strip() if len(parts) > 5 else ""
            elif line.startswith("Rss:"):
                kb[category(path, server_dir)] += int(line.split()[1])
    status = {l.split(":")[0]: l.split()[1] for l in open(f"/proc/{pid}/status") if l.startswith(("VmRSS", "VmHWM"))}
    gc_committed = None
    if metrics:
        text = urllib.request.urlopen(metrics, timeout=5).read().decode()
        m = re.search(r"^dotnet_gc_last_collection_memory_committed_size_bytes\S* (\S+)", text, re.M)
        gc_committed = float(m.group(1)) / 1024 if m else None
    anon = "anonymous (GC heap, runtime data, native allocations, stacks)"
    if gc_committed is not None and kb[anon]:
        gc = min(gc_committed, kb[anon])
        kb["GC heap (committed at the last collection)"] = int(gc)
        kb["anonymous besides the GC heap (runtime data, native allocations, stacks)"] = kb.pop(anon) - int(gc)
    total = sum(kb.values())
    print(f"Resident now {int(status['VmRSS']) / 1024:.1f} MB (peak {int(status['VmHWM']) / 1024:.1f} MB), by mapping:\n")
    print("| what | MB | share |")
    print("|---|---:|---:|")
    for name, value in kb.most_common():
        print(f"| {name} | {value / 1024:.1f} | {100 * value / max(total, 1):.0f} % |")


if __name__ == "__main__":
    main()
