"""Folds `perf script` output into flamegraph stacks and prints the share of samples each pipeline stage holds.

Usage: fold.py PERF_SCRIPT_TXT OUT_FOLDED > summary.md
A stage's inclusive share is the samples whose stack passes through any frame matching its pattern; middleware nest,
so inclusive shares overlap. Its own share counts each sample once, for the stage whose frame is deepest in its stack
(the innermost); own shares add up to 100 % with "other".
"""
import collections
import re
import sys

# Stage -> frame pattern, in pipeline order. A sample counts once per stage however many frames match.
STAGES = [
    ("Kestrel: connection, parsing, writing", r"Microsoft\.AspNetCore\.Server\.Kestrel"),
    ("Hosting: HttpContext, request diagnostics", r"Microsoft\.AspNetCore\.Hosting\.|HttpServerErrorTypeStartupFilter"),
    ("Security headers (OnStarting)", r"SecurityHeadersSetup"),
    ("Routing", r"Microsoft\.AspNetCore\.Routing\.(EndpointRoutingMiddleware|Matching)"),
    ("Request timeouts", r"RequestTimeouts"),
    ("CORS", r"Microsoft\.AspNetCore\.Cors"),
    ("Authentication", r"Microsoft\.AspNetCore\.Authentication\.|SessionAuthenticationHandler|CallerSchemes|CallerSource"),
    ("Authorization", r"Microsoft\.AspNetCore\.Authorization"),
    ("Rate limiting", r"RateLimit"),
    ("Endpoint: parameter binding and handler", r"RequestDelegateFactory|TokenEndpoints|TokenParams"),
    ("  grant (policy, capability)", r"GrantResolver|PolicySet|Capability"),
    ("  JWT minting", r"AblyJwtIssuer|JsonWebTokenHandler::CreateToken|JwtTokenUtilities::CreateSignature|SymmetricSignatureProvider"),
    ("  TokenRequest signing", r"TokenRequestSigner"),
    ("  audit line (logging)", r"TokenAudit|DirectConsoleLogger|JsonLogLine|BufferedConsoleOutput"),
    ("  metrics (instruments, OpenTelemetry)", r"System\.Diagnostics\.Metrics\.|OpenTelemetry\.Metrics\.|Metrics::"),
    ("Result writing (JSON, text)", r"Microsoft\.AspNetCore\.Http\.HttpResults|HttpResultsHelper|HttpResponseJsonExtensions|HttpResponseWritingExtensions|ExecuteResultWriteResponse"),
    ("Identity-provider token validation", r"JwtBearer|JsonWebTokenHandler\.ValidateToken|RSA|ECDsa|IssuerCaller"),
    ("Garbage collector", r"gc_heap|GCHeap|WKS::|SVR::|GarbageCollect"),
    ("Kernel (syscalls, network)", r"\[kernel\.kallsyms\]|entry_SYSCALL|tcp_|__x64_sys"),
]


def frames(block):
    names = []
    for line in block[1:]:
        parts = line.strip().split(None, 1)
        if len(parts) < 2:
            continue
        symbol = parts[1]
        symbol = re.sub(r"\+0x[0-9a-f]+", "", symbol)
        symbol = re.sub(r"\[(\w*Tier\w*|Optimized|PreJIT|QuickJitted|Instrumented)\]", "", symbol)
        symbol = symbol.replace(";", ",").strip()
        names.append(symbol)
    return list(reversed(names))  # root first


def main():
    text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
    folded = collections.Counter()
    stage_hits = collections.Counter()
    own_hits = collections.Counter()
    total = 0
    for block in (b.strip("\n").split("\n") for b in text.split("\n\n")):
        if not block or not block[0].strip():
            continue
        stack = frames(block)
        if not stack:
            continue
        total += 1
        folded[";".join(stack)] += 1
        # Matched on the method's name (not its signature, whose parameter types would match outer frames); a kernel
        # frame keeps its module, "(... [kernel.kallsyms])", which is what names it.
        methods = [frame if "[kernel.kallsyms]" in frame else frame.split("(", 1)[0] for frame in stack]
        innermost, depth = "other (runtime, thread pool, unattributed)", -1
        for name, pattern in STAGES:
            deepest = max((i for i, method in enumerate(methods) if re.search(pattern, method)), default=-1)
            if deepest >= 0:
                stage_hits[name] += 1
                if deepest >= depth:
                    innermost, depth = name, deepest
        own_hits[innermost] += 1
    with open(sys.argv[2], "w", encoding="utf-8") as out:
        for stack, count in folded.most_common():
            out.write(f"{stack} {count}\n")
    leaves = collections.Counter()
    for stack, count in folded.items():
        leaves[stack.rsplit(";", 1)[-1]] += count
    print(f"{total} samples of the server process.\n")
    print("| stage | inclusive | own |")
    print("|---|---:|---:|")
    for name, _ in STAGES + [("other (runtime, thread pool, unattributed)", None)]:
        print(f"| {name} | {100 * stage_hits[name] / max(total, 1):.1f} % | {100 * own_hits[name] / max(total, 1):.1f} % |")
    print("\nHottest leaf frames (self):\n")
    print("| frame | share |")
    print("|---|---:|")
    for frame, count in leaves.most_common(15):
        print(f"| `{frame[:110]}` | {100 * count / max(total, 1):.1f} % |")


if __name__ == "__main__":
    main()
