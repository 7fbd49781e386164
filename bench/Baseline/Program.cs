// The HTTP-stack ceiling for bench/run.sh: the same hosting model as the product (WebApplication, Kestrel,
// default logging) with no work per request, so the product's ratio to it isolates auth + token minting.
var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/", () => "ok");
// For bench/pinned.sh's warm-up: it waits until the JIT has stopped compiling (tiering has settled).
app.MapGet("/jit-methods", () => System.Runtime.JitInfo.GetCompiledMethodCount().ToString(System.Globalization.CultureInfo.InvariantCulture));
app.Run();
