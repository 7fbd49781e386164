using System.Net;

namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>For state that spreads between replicas: repeat a request until it answers as expected, or time out.</summary>
public static class Polling
{
    /// <summary>The first response with <paramref name="expected"/> status; asserts that status at the deadline.</summary>
    public static async Task<HttpResponseMessage> UntilStatusAsync(Func<Task<HttpResponseMessage>> request, HttpStatusCode expected, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var response = await request();
            if (response.StatusCode == expected || DateTime.UtcNow > deadline)
            {
                Assert.Equal(expected, response.StatusCode);
                return response;
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
