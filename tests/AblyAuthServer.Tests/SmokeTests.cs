namespace AblyAuthServer.Tests;

public sealed class SmokeTests
{
    [Fact]
    public void One_Is_One() => Assert.Equal(1, 1);
}
