// The HTTP-stack ceiling for bench/run.sh: the same hosting model as the product (WebApplication, Kestrel,
// default logging) with no work per request, so the product's ratio to it isolates auth + token minting.
var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/", () => "ok");
app.Run();
