using System.Net;
using System.Text.Json;

namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>Assertions for RFC 9457 problem responses.</summary>
public static class Problems
{
    public static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? detailContains = null)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        var problem = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        Assert.StartsWith("https://tools.ietf.org/html/rfc", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
        var detail = problem.GetProperty("detail").GetString();
        Assert.False(string.IsNullOrWhiteSpace(detail));
        if (detailContains is not null)
        {
            Assert.Contains(detailContains, detail, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
        Assert.DoesNotContain(AblyAuthServerFactory.Secret, body, StringComparison.Ordinal);
        return problem;
    }

    /// <summary>The problem body without its per-request trace id, for comparing two responses.</summary>
    public static string WithoutTraceId(JsonElement problem) =>
        JsonSerializer.Serialize(problem.EnumerateObject().Where(p => p.Name != "traceId").ToDictionary(p => p.Name, p => p.Value));
}
