using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>
/// A local stand-in for Ably's REST host, on real Kestrel at <c>http://127.0.0.1:&lt;free port&gt;</c>, that checks what
/// Ably checks for the endpoints this server calls:
/// <list type="bullet">
/// <item><c>POST /keys/{keyName}/revokeTokens</c>: Basic auth with that same key, a revocable key, <c>Ably-Agent</c>,
/// a JSON body of 1..100 <c>type:value</c> targets and an <c>issuedBefore</c> within the last hour; answers 201 with
/// the batch envelope when <c>X-Ably-Version</c> is 3 or more, else with the legacy plain array.</item>
/// <item><c>POST /keys/{keyName}/requestToken</c>: a signed TokenRequest (MAC recomputed here per spec RSA9, timestamp
/// within 2 minutes, single-use nonce, TTL and capability limits); answers 200 with TokenDetails whose capability is
/// the request's intersected with the key's (<see cref="AblyRestStandInKey.Capability"/>), or 401/40160 when nothing
/// is left of it.</item>
/// <item><c>GET /time</c>: <c>[ms]</c> on the stand-in's clock (the real clock plus <see cref="ClockOffset"/>).</item>
/// </list>
/// Every error is Ably's wire shape: <c>application/json</c> <c>{"error":{message,code,statusCode,href}}</c> plus the
/// <c>X-Ably-ErrorCode</c> and <c>X-Ably-ErrorMessage</c> headers. Accepted calls are recorded in
/// <see cref="RevokeCalls"/>, <see cref="TokenCalls"/> and <see cref="TimeCalls"/>, errors in <see cref="Rejections"/>.
/// Tests can make endpoints fail, answer late or hang, skew the clock, and change keys at runtime; failures and delays
/// either come before any check (<see cref="FailNext"/>, <see cref="Delay"/>, <see cref="Hang"/>: Ably never saw the
/// request) or after the call was checked and recorded (<see cref="FailNextAfterChecks"/>, <see cref="AnswerLateNext"/>:
/// Ably acted on it, and a TokenRequest's nonce is spent, but its answer is an error, comes too late or is rewritten by
/// <see cref="RewriteNextAnswer"/>).
/// No key secret is ever logged, recorded or echoed.
/// </summary>
public sealed class AblyRestStandIn : IAsyncDisposable
{
    /// <summary>
    /// A key's capability unless it names one (<see cref="AblyRestStandInKey.Capability"/>): Ably supplies the key's
    /// capability to a TokenRequest that names none.
    /// </summary>
    public const string KeyCapability = """{"[*]*":["*"]}""";

    public const int MaxTargets = 100;
    public const int MinNonceLength = 16;

    public static readonly TimeSpan TokenRequestWindow = TimeSpan.FromMinutes(2);
    public static readonly TimeSpan IssuedBeforeMaxAge = TimeSpan.FromHours(1);

    /// <summary>
    /// How far in the future <c>issuedBefore</c> may be: Ably's tolerance is not documented; 2 s covers a caller reading
    /// Ably's clock and a request in flight, and still refuses a caller minting on a clock that is seconds ahead.
    /// </summary>
    public static readonly TimeSpan IssuedBeforeFutureTolerance = TimeSpan.FromSeconds(2);

    public static readonly TimeSpan ReauthMargin = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultTokenTtl = TimeSpan.FromHours(1);
    public static readonly TimeSpan MaxTokenTtl = TimeSpan.FromHours(24);
    public static readonly TimeSpan MaxRevocableTokenTtl = TimeSpan.FromHours(1);

    private const int MaxBodyBytes = 256 * 1024;
    private const string JsonContentType = "application/json";
    private static readonly string[] TargetTypes = ["clientId", "revocationKey", "channel"];

    private static readonly JsonSerializerOptions WireJson = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly WebApplication _app;
    private readonly TimeProvider _clock;
    private readonly IReadOnlyList<AblyRestStandInKey> _initialKeys;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, AblyRestStandInKey> _keys = new(StringComparer.Ordinal);
    private readonly HashSet<string> _nonces = new(StringComparer.Ordinal);
    private readonly Dictionary<AblyRestEndpoint, (AblyRestError Error, int? Remaining)> _failures = [];
    private readonly Dictionary<AblyRestEndpoint, (AblyRestError Error, int Remaining)> _failuresAfterChecks = [];
    private readonly Dictionary<AblyRestEndpoint, (TimeSpan Delay, int Remaining)> _lateAnswers = [];
    private readonly Dictionary<AblyRestEndpoint, Func<string, string>> _rewrites = [];
    private readonly Dictionary<AblyRestEndpoint, TimeSpan> _delays = [];
    private readonly HashSet<AblyRestEndpoint> _hanging = [];
    private readonly Dictionary<string, AblyRestError> _failingTargets = new(StringComparer.Ordinal);
    private TaskCompletionSource _releaseHung = NewSignal();
    private TimeSpan _clockOffset;

    private AblyRestStandIn(WebApplication app, TimeProvider clock, IReadOnlyList<AblyRestStandInKey> keys)
    {
        _app = app;
        _clock = clock;
        _initialKeys = keys;
        RestoreKeys();
    }

    /// <summary>Base URL of the stand-in, e.g. <c>http://127.0.0.1:4321</c> (no trailing slash).</summary>
    public string BaseAddress { get; private set; } = string.Empty;

    public int Port { get; private set; }

    /// <summary>Accepted <c>revokeTokens</c> calls.</summary>
    public AblyRestCallLog<AblyRestRevokeCall> RevokeCalls { get; } = new();

    /// <summary>Accepted <c>requestToken</c> calls.</summary>
    public AblyRestCallLog<AblyRestTokenCall> TokenCalls { get; } = new();

    /// <summary>Answered <c>/time</c> calls.</summary>
    public AblyRestCallLog<AblyRestTimeCall> TimeCalls { get; } = new();

    /// <summary>Every request answered with an error, whether by a check or by a test control.</summary>
    public AblyRestCallLog<AblyRestRejection> Rejections { get; } = new();

    /// <summary>
    /// Added to the real clock (or the clock given to <see cref="StartAsync(IEnumerable{AblyRestStandInKey}, TimeProvider?)"/>)
    /// for <c>/time</c> and for every validity check, as if Ably's clock and the caller's disagreed.
    /// </summary>
    public TimeSpan ClockOffset
    {
        get
        {
            lock (_gate)
            {
                return _clockOffset;
            }
        }

        set
        {
            lock (_gate)
            {
                _clockOffset = value;
            }
        }
    }

    /// <summary>The stand-in's clock: what Ably's clock would read.</summary>
    public DateTimeOffset Now => _clock.GetUtcNow() + ClockOffset;

    /// <summary>The keys the stand-in knows now.</summary>
    public IReadOnlyList<AblyRestStandInKey> Keys
    {
        get
        {
            lock (_gate)
            {
                return [.. _keys.Values];
            }
        }
    }

    /// <summary>Starts a stand-in for the given <c>appId.keyId:secret</c> keys (revocable tokens on), or the test key.</summary>
    public static Task<AblyRestStandIn> StartAsync(params string[] keys) =>
        StartAsync((keys.Length == 0 ? [AblyAuthServerFactory.ApiKey] : keys).Select(k => AblyRestStandInKey.Parse(k)));

    /// <summary>Starts a stand-in for the given keys; <paramref name="clock"/> replaces the real clock (the offset still applies).</summary>
    public static async Task<AblyRestStandIn> StartAsync(IEnumerable<AblyRestStandInKey> keys, TimeProvider? clock = null)
    {
        // An empty builder: no configuration from the test's environment or appsettings files can move the port, and
        // no logging provider can write a request's Authorization header anywhere.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, 0);
        });
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(2));
        var app = builder.Build();
        var standIn = new AblyRestStandIn(app, clock ?? TimeProvider.System, [.. keys]);
        app.Run(standIn.HandleAsync);
        await app.StartAsync(TestContext.Current.CancellationToken);

        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        var uri = new Uri(address);
        standIn.BaseAddress = uri.GetLeftPart(UriPartial.Authority);
        standIn.Port = uri.Port;
        return standIn;
    }

    /// <summary>Answers the next <paramref name="count"/> calls of <paramref name="endpoint"/> with <paramref name="error"/> (default 500/50000).</summary>
    public void FailNext(AblyRestEndpoint endpoint, int count = 1, AblyRestError? error = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        lock (_gate)
        {
            _failures[endpoint] = (error ?? AblyRestError.Internal, count);
        }
    }

    /// <summary>Answers every call of <paramref name="endpoint"/> with <paramref name="error"/> (default 500/50000) until <see cref="ClearFaults"/> or <see cref="Reset"/>.</summary>
    public void FailUntilReset(AblyRestEndpoint endpoint, AblyRestError? error = null)
    {
        lock (_gate)
        {
            _failures[endpoint] = (error ?? AblyRestError.Internal, null);
        }
    }

    /// <summary>
    /// Checks and records the next <paramref name="count"/> calls of <paramref name="endpoint"/> as usual (a TokenRequest's
    /// nonce is spent, a revocation applies) but answers them with <paramref name="error"/> (default 500/50000) instead
    /// of the success: Ably acted, and the caller cannot tell. A caller that retries must not send the same request again.
    /// </summary>
    public void FailNextAfterChecks(AblyRestEndpoint endpoint, int count = 1, AblyRestError? error = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        lock (_gate)
        {
            _failuresAfterChecks[endpoint] = (error ?? AblyRestError.Internal, count);
        }
    }

    /// <summary>
    /// Checks and records the next <paramref name="count"/> calls of <paramref name="endpoint"/> as usual, then holds
    /// their answers for <paramref name="delay"/>: an answer lost in flight, as a client that times out sees it.
    /// </summary>
    public void AnswerLateNext(AblyRestEndpoint endpoint, TimeSpan delay, int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        lock (_gate)
        {
            _lateAnswers[endpoint] = (delay, count);
        }
    }

    /// <summary>
    /// Checks and records the next call of <paramref name="endpoint"/> as usual, then answers with
    /// <paramref name="rewrite"/> applied to its success body: an answer that is not what Ably sends, for callers that
    /// must not pass it on unchecked.
    /// </summary>
    public void RewriteNextAnswer(AblyRestEndpoint endpoint, Func<string, string> rewrite)
    {
        lock (_gate)
        {
            _rewrites[endpoint] = rewrite;
        }
    }

    /// <summary>
    /// In the next accepted <c>revokeTokens</c> calls, reports <paramref name="target"/> as failed with
    /// <paramref name="error"/> while the other targets succeed: Ably's partial batch failure.
    /// </summary>
    public void FailTarget(string target, AblyRestError error)
    {
        lock (_gate)
        {
            _failingTargets[target] = error;
        }
    }

    /// <summary>Holds every response of <paramref name="endpoint"/> (of all endpoints when null) for <paramref name="delay"/> before answering.</summary>
    public void Delay(TimeSpan delay, AblyRestEndpoint? endpoint = null)
    {
        lock (_gate)
        {
            foreach (var each in endpoint is { } one ? [one] : Enum.GetValues<AblyRestEndpoint>())
            {
                _delays[each] = delay;
            }
        }
    }

    /// <summary>
    /// Never answers <paramref name="endpoint"/> (all endpoints when null) until <see cref="ClearFaults"/>,
    /// <see cref="Reset"/> or dispose: then held requests carry on as usual. For client timeouts.
    /// </summary>
    public void Hang(AblyRestEndpoint? endpoint = null)
    {
        lock (_gate)
        {
            foreach (var each in endpoint is { } one ? [one] : Enum.GetValues<AblyRestEndpoint>())
            {
                _hanging.Add(each);
            }
        }
    }

    /// <summary>Ends every failure, failing target, delay and hang (releasing held requests); keeps keys, clock and records.</summary>
    public void ClearFaults()
    {
        TaskCompletionSource release;
        lock (_gate)
        {
            _failures.Clear();
            _failuresAfterChecks.Clear();
            _lateAnswers.Clear();
            _rewrites.Clear();
            _failingTargets.Clear();
            _delays.Clear();
            _hanging.Clear();
            release = _releaseHung;
            _releaseHung = NewSignal();
        }

        release.TrySetResult();
    }

    /// <summary>Back to how it started: faults cleared, clock offset zero, the initial keys, no records, no nonces seen.</summary>
    public void Reset()
    {
        ClearFaults();
        lock (_gate)
        {
            _clockOffset = TimeSpan.Zero;
            _nonces.Clear();
            RestoreKeys();
        }

        RevokeCalls.Clear();
        TokenCalls.Clear();
        TimeCalls.Clear();
        Rejections.Clear();
    }

    /// <summary>Adds (or replaces) a key, <c>appId.keyId:secret</c>.</summary>
    public void AddKey(string key, bool revocableTokens = true) => AddKey(AblyRestStandInKey.Parse(key, revocableTokens));

    public void AddKey(AblyRestStandInKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
        {
            _keys[key.Name] = key;
        }
    }

    /// <summary>Forgets a key, as if it were revoked in Ably's dashboard; false when it was not known.</summary>
    public bool RemoveKey(string keyName)
    {
        lock (_gate)
        {
            return _keys.Remove(keyName);
        }
    }

    /// <summary>Turns Ably's per-key "revocable tokens" setting on or off.</summary>
    public void SetRevocableTokens(string keyName, bool enabled)
    {
        lock (_gate)
        {
            _keys[keyName] = (_keys.TryGetValue(keyName, out var key) ? key : throw new KeyNotFoundException($"No key {keyName}"))
                with { RevocableTokens = enabled };
        }
    }

    /// <summary>Gives a key another capability (JSON; null: every operation on every resource), as Ably's dashboard can.</summary>
    public void SetKeyCapability(string keyName, string? capability)
    {
        lock (_gate)
        {
            _keys[keyName] = (_keys.TryGetValue(keyName, out var key) ? key : throw new KeyNotFoundException($"No key {keyName}"))
                with { Capability = capability };
        }
    }

    public async ValueTask DisposeAsync()
    {
        ClearFaults();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? string.Empty;
        var (endpoint, method, keyName) = Route(path);
        try
        {
            if (endpoint is null)
            {
                throw Refuse(HttpStatusCode.NotFound, 40400, $"The stand-in does not serve {path}");
            }

            if (!HttpMethods.Equals(request.Method, method))
            {
                throw Refuse(HttpStatusCode.MethodNotAllowed, 40500, $"{path} takes {method}, not {request.Method}");
            }

            await ApplyControlsAsync(endpoint.Value, context.RequestAborted);
            context.Features.Set(TakeAnswerControls(endpoint.Value));
            switch (endpoint.Value)
            {
                case AblyRestEndpoint.RevokeTokens:
                    await RevokeTokensAsync(context, keyName!);
                    break;
                case AblyRestEndpoint.RequestToken:
                    await RequestTokenAsync(context, keyName!);
                    break;
                default:
                    await TimeAsync(context);
                    break;
            }
        }
        catch (RefusalException refusal)
        {
            Rejections.Add(new AblyRestRejection(endpoint, request.Method, path, refusal.Error, refusal.Injected, Now));
            await WriteErrorAsync(context.Response, refusal.Error);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client gave up (its timeout while the endpoint hung or was delayed): nobody is left to answer.
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            // A bug in the stand-in still answers in Ably's shape, so the client under test reports it rather than a parse error.
            var error = new AblyRestError(HttpStatusCode.InternalServerError, 50000, $"Stand-in failure: {e.GetType().Name}: {e.Message}");
            Rejections.Add(new AblyRestRejection(endpoint, request.Method, path, error, Injected: false, Now));
            await WriteErrorAsync(context.Response, error);
        }
    }

    private static (AblyRestEndpoint? Endpoint, string Method, string? KeyName) Route(string path)
    {
        if (path == "/time")
        {
            return (AblyRestEndpoint.Time, HttpMethods.Get, null);
        }

        var segments = path.Split('/');
        if (segments is ["", "keys", { Length: > 0 } keyName, var action])
        {
            return action switch
            {
                "revokeTokens" => (AblyRestEndpoint.RevokeTokens, HttpMethods.Post, keyName),
                "requestToken" => (AblyRestEndpoint.RequestToken, HttpMethods.Post, keyName),
                _ => (null, string.Empty, null),
            };
        }

        return (null, string.Empty, null);
    }

    private async Task ApplyControlsAsync(AblyRestEndpoint endpoint, CancellationToken aborted)
    {
        Task? hang;
        TimeSpan delay;
        lock (_gate)
        {
            hang = _hanging.Contains(endpoint) ? _releaseHung.Task : null;
            delay = _delays.GetValueOrDefault(endpoint);
        }

        if (hang is not null)
        {
            await hang.WaitAsync(aborted);
        }

        if (delay > TimeSpan.Zero)
        {
            // Real time, whatever clock the checks use: the clients under test time out in real time.
            await Task.Delay(delay, aborted);
        }

        AblyRestError? injected = null;
        lock (_gate)
        {
            if (_failures.TryGetValue(endpoint, out var failure))
            {
                injected = failure.Error;
                if (failure.Remaining is { } remaining)
                {
                    if (remaining <= 1)
                    {
                        _failures.Remove(endpoint);
                    }
                    else
                    {
                        _failures[endpoint] = (failure.Error, remaining - 1);
                    }
                }
            }
        }

        if (injected is not null)
        {
            throw new RefusalException(injected, injected: true);
        }
    }

    /// <summary>Takes (counting down) the controls that apply once this call has been checked and recorded.</summary>
    private AnswerControls TakeAnswerControls(AblyRestEndpoint endpoint)
    {
        var controls = new AnswerControls(endpoint);
        lock (_gate)
        {
            if (_failuresAfterChecks.TryGetValue(endpoint, out var failure))
            {
                controls.Failure = failure.Error;
                if (failure.Remaining <= 1)
                {
                    _failuresAfterChecks.Remove(endpoint);
                }
                else
                {
                    _failuresAfterChecks[endpoint] = (failure.Error, failure.Remaining - 1);
                }
            }

            if (_rewrites.Remove(endpoint, out var rewrite))
            {
                controls.Rewrite = rewrite;
            }

            if (_lateAnswers.TryGetValue(endpoint, out var late))
            {
                controls.Late = late.Delay;
                if (late.Remaining <= 1)
                {
                    _lateAnswers.Remove(endpoint);
                }
                else
                {
                    _lateAnswers[endpoint] = (late.Delay, late.Remaining - 1);
                }
            }
        }

        return controls;
    }

    private async Task RevokeTokensAsync(HttpContext context, string pathKeyName)
    {
        var request = context.Request;
        var key = AuthenticateWithKey(request, pathKeyName);
        if (!key.RevocableTokens)
        {
            // Ably's HTTP status for 40163 is not written down anywhere this project has; 400 is an assumption.
            throw Refuse(HttpStatusCode.BadRequest, 40163, "Revocable tokens are not enabled for this key");
        }

        // Ably itself only records Ably-Agent; the stand-in insists on it so a client that forgets it is caught here.
        var ablyAgent = request.Headers["Ably-Agent"].ToString();
        if (string.IsNullOrWhiteSpace(ablyAgent))
        {
            throw InvalidParameter("Ably-Agent header is required (a non-empty agent string)");
        }

        var ablyVersion = request.Headers["X-Ably-Version"].ToString();
        double? version = null;
        if (ablyVersion.Length > 0)
        {
            version = double.TryParse(ablyVersion, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : throw InvalidParameter("X-Ably-Version must be a number");
        }

        using var body = await ReadJsonBodyAsync(context);
        var root = body.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw InvalidParameter("The body must be a JSON object {targets, issuedBefore?, allowReauthMargin?}");
        }

        var targets = ParseTargets(root);
        var now = Now.ToUnixTimeMilliseconds();
        long? issuedBeforeSent = null;
        if (Present(root, "issuedBefore") is { } issuedBeforeElement)
        {
            issuedBeforeSent = issuedBeforeElement.ValueKind == JsonValueKind.Number && issuedBeforeElement.TryGetInt64(out var sent)
                ? sent
                : throw InvalidParameter("issuedBefore must be an integer number of milliseconds since the epoch");
            if (sent > now + (long)IssuedBeforeFutureTolerance.TotalMilliseconds)
            {
                throw InvalidParameter($"issuedBefore ({sent}) is in the future (now {now})");
            }

            if (sent < now - (long)IssuedBeforeMaxAge.TotalMilliseconds)
            {
                throw InvalidParameter($"issuedBefore ({sent}) is more than an hour in the past (now {now})");
            }
        }

        var allowReauthMargin = false;
        if (Present(root, "allowReauthMargin") is { } marginElement)
        {
            allowReauthMargin = marginElement.ValueKind is JsonValueKind.True or JsonValueKind.False
                ? marginElement.GetBoolean()
                : throw InvalidParameter("allowReauthMargin must be true or false");
        }

        var issuedBefore = issuedBeforeSent ?? now;
        var appliesAt = issuedBefore + (allowReauthMargin ? (long)ReauthMargin.TotalMilliseconds : 0);
        Dictionary<string, AblyRestError> failingTargets;
        lock (_gate)
        {
            failingTargets = new Dictionary<string, AblyRestError>(_failingTargets, StringComparer.Ordinal);
        }

        var results = targets
            .Select(target => failingTargets.TryGetValue(target, out var error)
                ? (object)new { target, error = ErrorBody(error) }
                : new { target, issuedBefore, appliesAt })
            .ToList();
        var failureCount = targets.Count(failingTargets.ContainsKey);
        var envelope = version >= 3;

        string responseBody;
        if (!envelope && failureCount > 0)
        {
            // The legacy form reports a partial failure as a 400 carrying the per-target results (code assumed: 40020,
            // Ably's batch error). The call still counts as accepted: the other targets were revoked.
            var batchError = new AblyRestError(HttpStatusCode.BadRequest, 40020, $"{failureCount} of {targets.Count} targets failed");
            responseBody = JsonSerializer.Serialize(new { error = ErrorBody(batchError), batchResponse = results }, WireJson);
            RecordRevoke();
            await WriteErrorAsync(context.Response, batchError, responseBody);
            return;
        }

        responseBody = envelope
            ? JsonSerializer.Serialize(new { successCount = targets.Count - failureCount, failureCount, results }, WireJson)
            : JsonSerializer.Serialize(results, WireJson);
        RecordRevoke();
        await WriteJsonAsync(context.Response, HttpStatusCode.Created, responseBody);

        void RecordRevoke() => RevokeCalls.Add(new AblyRestRevokeCall(
            key.Name, targets, issuedBeforeSent, issuedBefore, allowReauthMargin, ablyVersion.Length > 0 ? ablyVersion : null,
            ablyAgent, RecordedHeaders(request), Now, responseBody));
    }

    private static List<string> ParseTargets(JsonElement root)
    {
        if (Present(root, "targets") is not { ValueKind: JsonValueKind.Array } array || array.GetArrayLength() == 0)
        {
            throw InvalidParameter("targets must be a non-empty array of \"type:value\" strings");
        }

        if (array.GetArrayLength() > MaxTargets)
        {
            throw InvalidParameter($"targets holds {array.GetArrayLength()} entries; at most {MaxTargets} are allowed");
        }

        var targets = new List<string>();
        foreach (var (element, index) in array.EnumerateArray().Select((e, i) => (e, i)))
        {
            var target = element.ValueKind == JsonValueKind.String ? element.GetString()! : null;
            var colon = target?.IndexOf(':', StringComparison.Ordinal) ?? -1;
            if (target is null || colon <= 0 || colon == target.Length - 1 || !TargetTypes.Contains(target[..colon], StringComparer.Ordinal))
            {
                throw InvalidParameter(
                    $"targets[{index}] must be \"type:value\" with type clientId, revocationKey or channel; got {element.GetRawText()}");
            }

            targets.Add(target);
        }

        return targets;
    }

    private async Task RequestTokenAsync(HttpContext context, string pathKeyName)
    {
        using var body = await ReadJsonBodyAsync(context);
        var root = body.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw InvalidParameter("The body must be a TokenRequest JSON object");
        }

        var keyName = OptionalString(root, "keyName") ?? throw InvalidParameter("keyName is required");
        var clientId = OptionalString(root, "clientId");
        var capability = OptionalString(root, "capability");
        var ttl = OptionalInteger(root, "ttl");
        var timestamp = OptionalInteger(root, "timestamp") ?? throw InvalidParameter("timestamp is required (ms since the epoch)");
        var nonce = OptionalString(root, "nonce") ?? throw InvalidParameter("nonce is required");
        var mac = OptionalString(root, "mac")
            ?? throw Refuse(HttpStatusCode.Unauthorized, 40101, "The TokenRequest has no mac; the stand-in only exchanges signed TokenRequests");

        // The path and the body must name the same key: a MAC made with one key is no credential for another.
        if (keyName != pathKeyName)
        {
            throw Refuse(HttpStatusCode.Unauthorized, 40101, $"Invalid credentials: the TokenRequest is for {keyName}, the path names {pathKeyName}");
        }

        var key = FindKey(keyName) ?? throw Refuse(HttpStatusCode.Unauthorized, 40101, $"Invalid credentials: no key {keyName}");
        var signText = string.Create(CultureInfo.InvariantCulture, $"{keyName}\n{ttl}\n{capability}\n{clientId}\n{timestamp}\n{nonce}\n");
        var expectedMac = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key.Secret), Encoding.UTF8.GetBytes(signText)));
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expectedMac), Encoding.UTF8.GetBytes(mac)))
        {
            throw Refuse(HttpStatusCode.Unauthorized, 40101, "Request mac does not match");
        }

        var now = Now.ToUnixTimeMilliseconds();
        if (Math.Abs(now - timestamp) > (long)TokenRequestWindow.TotalMilliseconds)
        {
            throw Refuse(HttpStatusCode.Unauthorized, 40104, $"Timestamp not current: {timestamp} is more than 2 minutes from {now}");
        }

        if (nonce.Length < MinNonceLength)
        {
            throw Refuse(HttpStatusCode.Unauthorized, 40105, $"Nonce value too short: at least {MinNonceLength} characters, got {nonce.Length}");
        }

        lock (_gate)
        {
            // A TokenRequest that passed the MAC and clock checks is spent, whatever happens next, as a retry must be re-signed.
            if (!_nonces.Add($"{keyName}\n{nonce}"))
            {
                throw Refuse(HttpStatusCode.Unauthorized, 40105, "Nonce value replayed");
            }
        }

        var maxTtl = key.RevocableTokens ? MaxRevocableTokenTtl : MaxTokenTtl;
        if (ttl is { } requested && (requested <= 0 || requested > (long)maxTtl.TotalMilliseconds))
        {
            throw InvalidParameter(key.RevocableTokens
                ? $"ttl {requested} ms is outside 1..{(long)maxTtl.TotalMilliseconds}: tokens of a key with revocable tokens live at most 1 hour"
                : $"ttl {requested} ms is outside 1..{(long)maxTtl.TotalMilliseconds}: tokens live at most 24 hours");
        }

        if (capability is not null)
        {
            ValidateCapability(capability);
        }

        // A key with every capability leaves the request's text as it came; a narrower key gives the intersection.
        var issuedCapability = (capability, key.Capability) switch
        {
            (null, _) => key.Capability ?? KeyCapability,
            (_, null) => capability,
            _ => IntersectCapabilities(key.Capability, capability)
                ?? throw Refuse(HttpStatusCode.Unauthorized, 40160, "Unable to issue token: the requested capability is not permitted by the key"),
        };

        var details = new AblyRestTokenDetails(
            $"standin-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))}",
            keyName,
            now,
            now + (ttl ?? (long)DefaultTokenTtl.TotalMilliseconds),
            issuedCapability,
            clientId);
        TokenCalls.Add(new AblyRestTokenCall(keyName, clientId, capability, ttl, timestamp, nonce, mac, details, RecordedHeaders(context.Request), Now));
        await WriteJsonAsync(context.Response, HttpStatusCode.OK, JsonSerializer.Serialize(
            new
            {
                token = details.Token,
                keyName = details.KeyName,
                issued = details.Issued,
                expires = details.Expires,
                capability = details.Capability,
                clientId = details.ClientId,
            },
            WireJson));
    }

    /// <summary>
    /// What a key with <paramref name="keyCapability"/> grants of <paramref name="requested"/>, as canonical JSON, or null
    /// when nothing: resource by resource (the narrower of two patterns where one covers the other) and operation by
    /// operation (<c>*</c> on either side stands for all). Written here apart from the app's own intersection, so the
    /// two can disagree; it knows <c>[*]*</c>, <c>*</c>, trailing <c>:*</c> and exact names, which is what tests use.
    /// </summary>
    public static string? IntersectCapabilities(string keyCapability, string requested)
    {
        var key = ReadCapability(keyCapability);
        var result = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var (resource, operations) in ReadCapability(requested))
        {
            foreach (var (keyResource, keyOperations) in key)
            {
                var common = Covers(keyResource, resource) ? resource : Covers(resource, keyResource) ? keyResource : null;
                var ops = keyOperations.Contains("*") ? operations
                    : operations.Contains("*") ? keyOperations
                    : [.. operations.Intersect(keyOperations, StringComparer.Ordinal)];
                if (common is null || ops.Count == 0)
                {
                    continue;
                }

                if (!result.TryGetValue(common, out var merged))
                {
                    result[common] = merged = new SortedSet<string>(StringComparer.Ordinal);
                }

                merged.UnionWith(ops);
            }
        }

        return result.Count == 0 ? null : JsonSerializer.Serialize(result, WireJson);

        static bool Covers(string pattern, string resource) =>
            pattern == resource
            || pattern == "[*]*"
            || (pattern == "*" && !resource.StartsWith('['))
            || (pattern.EndsWith(":*", StringComparison.Ordinal) && resource.StartsWith(pattern[..^1], StringComparison.Ordinal));

        static List<(string Resource, IReadOnlyList<string> Operations)> ReadCapability(string json)
        {
            using var document = JsonDocument.Parse(json);
            return [.. document.RootElement.EnumerateObject().Select(p => (p.Name, (IReadOnlyList<string>)[.. p.Value.EnumerateArray().Select(o => o.GetString()!)]))];
        }
    }

    private static void ValidateCapability(string capability)
    {
        const string Shape = "capability must be a JSON string of an object mapping resources to non-empty arrays of operations";
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(capability);
        }
        catch (JsonException)
        {
            throw InvalidParameter($"{Shape}; it is not JSON");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.EnumerateObject().Any())
            {
                throw InvalidParameter(Shape);
            }

            foreach (var resource in root.EnumerateObject())
            {
                if (resource.Name.Length == 0
                    || resource.Value.ValueKind != JsonValueKind.Array
                    || resource.Value.GetArrayLength() == 0
                    || resource.Value.EnumerateArray().Any(op => op.ValueKind != JsonValueKind.String || op.GetString()!.Length == 0))
                {
                    throw InvalidParameter($"{Shape}; resource \"{resource.Name}\" is not");
                }
            }
        }
    }

    private async Task TimeAsync(HttpContext context)
    {
        var time = Now.ToUnixTimeMilliseconds();
        TimeCalls.Add(new AblyRestTimeCall(time, RecordedHeaders(context.Request), Now));
        await WriteJsonAsync(context.Response, HttpStatusCode.OK, string.Create(CultureInfo.InvariantCulture, $"[{time}]"));
    }

    /// <summary>revokeTokens's credential rules: Basic auth, a known key with the right secret, and the path's key.</summary>
    private AblyRestStandInKey AuthenticateWithKey(HttpRequest request, string pathKeyName)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            throw Refuse(HttpStatusCode.Unauthorized, 40101, "No credentials: revokeTokens needs Basic auth with the key that issued the tokens");
        }

        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            throw Refuse(HttpStatusCode.Unauthorized, 40162, "Token revocation requires Basic auth with an API key; token auth was used");
        }

        string? credentials = null;
        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                credentials = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
            }
            catch (FormatException)
            {
            }
        }

        var colon = credentials?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        if (credentials is null || colon <= 0)
        {
            throw Refuse(HttpStatusCode.Unauthorized, 40101, "Invalid credentials: expected Basic base64(keyName:secret)");
        }

        var key = FindKey(credentials[..colon]);
        if (key is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(key.Secret), Encoding.UTF8.GetBytes(credentials[(colon + 1)..])))
        {
            // Never the presented secret, nor which half was wrong.
            throw Refuse(HttpStatusCode.Unauthorized, 40101, "Invalid credentials");
        }

        if (key.Name != pathKeyName)
        {
            throw Refuse(
                HttpStatusCode.Unauthorized,
                40133,
                $"Wrong key for token revocation: tokens of {pathKeyName} can only be revoked with that key, not {key.Name}");
        }

        return key;
    }

    private AblyRestStandInKey? FindKey(string keyName)
    {
        lock (_gate)
        {
            return _keys.GetValueOrDefault(keyName);
        }
    }

    private void RestoreKeys()
    {
        _keys.Clear();
        foreach (var key in _initialKeys)
        {
            _keys[key.Name] = key;
        }
    }

    private static async Task<JsonDocument> ReadJsonBodyAsync(HttpContext context)
    {
        var request = context.Request;
        if (!string.Equals(request.GetTypedHeaders().ContentType?.MediaType.Value, JsonContentType, StringComparison.OrdinalIgnoreCase))
        {
            throw Refuse(HttpStatusCode.BadRequest, 40000, $"Content-Type must be {JsonContentType}; got {request.ContentType ?? "none"}");
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                throw Refuse(HttpStatusCode.RequestEntityTooLarge, 40009, "Request body too large");
            }

            buffer.Write(chunk, 0, read);
        }

        try
        {
            return JsonDocument.Parse(buffer.ToArray());
        }
        catch (JsonException)
        {
            throw Refuse(HttpStatusCode.BadRequest, 40000, "The body is not valid JSON");
        }
    }

    private static JsonElement? Present(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static string? OptionalString(JsonElement root, string name) => Present(root, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } value => value.GetString(),
        _ => throw InvalidParameter($"{name} must be a string"),
    };

    private static long? OptionalInteger(JsonElement root, string name) => Present(root, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } value when value.TryGetInt64(out var number) => number,
        _ => throw InvalidParameter($"{name} must be an integer number of milliseconds"),
    };

    private static Dictionary<string, string> RecordedHeaders(HttpRequest request) =>
        request.Headers
            .Where(h => !string.Equals(h.Key, "Authorization", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);

    private static object ErrorBody(AblyRestError error) =>
        new { message = error.Message, code = error.Code, statusCode = (int)error.StatusCode, href = error.Href };

    private async Task WriteErrorAsync(HttpResponse response, AblyRestError error, string? body = null)
    {
        response.Headers["X-Ably-ErrorCode"] = error.Code.ToString(CultureInfo.InvariantCulture);
        response.Headers["X-Ably-ErrorMessage"] = HeaderSafe(error.Message);
        await WriteJsonAsync(response, error.StatusCode, body ?? JsonSerializer.Serialize(new { error = ErrorBody(error) }, WireJson));
    }

    /// <summary>Writes an answer, applying the call's <see cref="AnswerControls"/> first.</summary>
    private async Task WriteJsonAsync(HttpResponse response, HttpStatusCode status, string json)
    {
        var context = response.HttpContext;
        if (context.Features.Get<AnswerControls>() is { } controls)
        {
            // Once per call: an error written in place of the answer comes through here again.
            context.Features.Set<AnswerControls>(null);
            if (controls.Late is { } late)
            {
                try
                {
                    // Real time, whatever clock the checks use: the clients under test time out in real time.
                    await Task.Delay(late, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    // The client gave up waiting: nobody is left to answer.
                    return;
                }
            }

            if (controls.Failure is { } failure && (int)status < 300)
            {
                Rejections.Add(new AblyRestRejection(controls.Endpoint, context.Request.Method, context.Request.Path.Value ?? string.Empty, failure, Injected: true, Now));
                await WriteErrorAsync(response, failure);
                return;
            }

            if (controls.Rewrite is { } rewrite && (int)status < 300)
            {
                json = rewrite(json);
            }
        }

        response.StatusCode = (int)status;
        // Exactly application/json, no charset: ably-js in Node reads an error body only under that exact type.
        response.ContentType = JsonContentType;
        await response.WriteAsync(json);
    }

    /// <summary>Header values must be visible ASCII; messages can quote the caller's input.</summary>
    private static string HeaderSafe(string message) =>
        string.Concat(message.Select(c => c is >= ' ' and <= '~' ? c : '?'));

    private static RefusalException Refuse(HttpStatusCode status, int code, string message) =>
        new(new AblyRestError(status, code, message), injected: false);

    /// <summary>Ably's "invalid parameter" (400, 40003); the message names the parameter.</summary>
    private static RefusalException InvalidParameter(string message) => Refuse(HttpStatusCode.BadRequest, 40003, message);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>What happens to one call's answer after the call was checked and recorded.</summary>
    private sealed class AnswerControls(AblyRestEndpoint endpoint)
    {
        public AblyRestEndpoint Endpoint { get; } = endpoint;

        /// <summary>Answered with this error instead of the success.</summary>
        public AblyRestError? Failure { get; set; }

        /// <summary>The answer is held this long.</summary>
        public TimeSpan? Late { get; set; }

        /// <summary>The success body is replaced by what this makes of it.</summary>
        public Func<string, string>? Rewrite { get; set; }
    }

    /// <summary>Unwinds a handler to the one place that writes Ably's error shape.</summary>
    private sealed class RefusalException(AblyRestError error, bool injected) : Exception(error.Message)
    {
        public AblyRestError Error { get; } = error;

        public bool Injected { get; } = injected;
    }
}
