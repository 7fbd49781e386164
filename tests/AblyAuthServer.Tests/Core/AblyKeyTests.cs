using System.Security.Cryptography;
using System.Text;
using AblyAuthServer.Ably;

namespace AblyAuthServer.Tests.Core;

public sealed class AblyKeyTests
{
    private const string Secret = "c2VjcmV0LWZvci10ZXN0cw";
    private const string ValidKey = "appId.keyId:" + Secret;

    [Fact]
    public void Valid_Key_Is_Split_Into_App_Id_Key_Id_And_Name()
    {
        // Act
        var parsed = AblyKey.TryParse(ValidKey, out var key, out var error);

        // Assert
        Assert.True(parsed);
        Assert.Equal(string.Empty, error);
        Assert.NotNull(key);
        Assert.Equal("appId", key.AppId);
        Assert.Equal("keyId", key.KeyId);
        Assert.Equal("appId.keyId", key.Name);
    }

    [Fact]
    public void Docs_Example_Key_Parses()
    {
        // Act
        var key = AblyKey.Parse("I2E_JQ.OqUdfg:EVKVTCBlzLBPYJiCZTsIW_pqylJ9WVRB5K9P19Ap1y0");

        // Assert
        Assert.Equal("I2E_JQ", key.AppId);
        Assert.Equal("OqUdfg", key.KeyId);
        Assert.Equal("I2E_JQ.OqUdfg", key.Name);
    }

    [Fact]
    public void Surrounding_Whitespace_Is_Trimmed()
    {
        // Act
        var key = AblyKey.Parse("  " + ValidKey + "\n");

        // Assert
        Assert.Equal("appId.keyId", key.Name);
        Assert.True(key.SecretEquals(Encoding.UTF8.GetBytes(Secret)));
    }

    [Fact]
    public void Missing_Key_Is_Rejected()
    {
        // Act
        var parsed = AblyKey.TryParse(null, out var key, out var error);

        // Assert
        Assert.False(parsed);
        Assert.Null(key);
        Assert.Equal("is missing", error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t\r\n")]
    public void Empty_Or_Whitespace_Key_Is_Rejected_As_Missing(string value)
    {
        // Act
        var parsed = AblyKey.TryParse(value, out var key, out var error);

        // Assert
        Assert.False(parsed);
        Assert.Null(key);
        Assert.Equal("is missing", error);
    }

    [Theory]
    [InlineData("appId.keyIdc2VjcmV0LWZvci10ZXN0cw", "is malformed: expected appId.keyId:secret (no ':' found)")]
    [InlineData("appIdkeyId:c2VjcmV0LWZvci10ZXN0cw", "is malformed: the key name before ':' must be appId.keyId")]
    [InlineData("app.Id.keyId:c2VjcmV0LWZvci10ZXN0cw", "is malformed: the key name before ':' must be appId.keyId")]
    [InlineData(".keyId:c2VjcmV0LWZvci10ZXN0cw", "is malformed: the key name before ':' must be appId.keyId")]
    [InlineData("appId.:c2VjcmV0LWZvci10ZXN0cw", "is malformed: the key name before ':' must be appId.keyId")]
    [InlineData("appId.keyId:", "is malformed: the secret after ':' is empty or contains whitespace")]
    [InlineData("appId.keyId:c2VjcmV0 LWZvci10ZXN0cw", "is malformed: the secret after ':' is empty or contains whitespace")]
    public void Malformed_Key_Is_Rejected_With_A_Precise_Error(string value, string expectedError)
    {
        // Act
        var parsed = AblyKey.TryParse(value, out var key, out var error);

        // Assert
        Assert.False(parsed);
        Assert.Null(key);
        Assert.Equal(expectedError, error);
    }

    [Fact]
    public void Whitespace_Inside_The_Key_Name_Is_Rejected()
    {
        // Act
        var parsed = AblyKey.TryParse("app Id.keyId:" + Secret, out var key, out _);

        // Assert
        Assert.False(parsed);
        Assert.Null(key);
    }

    [Theory]
    [InlineData("appId.keyIdc2VjcmV0LWZvci10ZXN0cw")]
    [InlineData("appIdkeyId:c2VjcmV0LWZvci10ZXN0cw")]
    [InlineData("app.Id.keyId:c2VjcmV0LWZvci10ZXN0cw")]
    [InlineData("appId.keyId:c2VjcmV0 LWZvci10ZXN0cw")]
    public void Errors_Never_Contain_The_Secret(string value)
    {
        // Act
        var parsed = AblyKey.TryParse(value, out _, out var error);
        var exception = Assert.Throws<FormatException>(() => AblyKey.Parse(value));

        // Assert
        Assert.False(parsed);
        Assert.DoesNotContain("c2VjcmV0", error, StringComparison.Ordinal);
        Assert.DoesNotContain("c2VjcmV0", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("LWZvci10ZXN0cw", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Throws_A_Format_Exception_That_Names_The_Problem()
    {
        // Act
        var exception = Assert.Throws<FormatException>(() => AblyKey.Parse("appId.keyId:"));

        // Assert
        Assert.Equal("The Ably API key is malformed: the secret after ':' is empty or contains whitespace.", exception.Message);
    }

    [Fact]
    public void ToString_Returns_The_Key_Name_Only()
    {
        // Arrange
        var key = AblyKey.Parse(ValidKey);

        // Act
        var text = key.ToString();
        var interpolated = $"key={key}";

        // Assert
        Assert.Equal("appId.keyId", text);
        Assert.Equal("key=appId.keyId", interpolated);
    }

    [Fact]
    public void ComputeMac_Is_Base64_HmacSha256_Keyed_With_The_Secret_Utf8_Bytes()
    {
        // Arrange
        var key = AblyKey.Parse(ValidKey);
        const string text = "appId.keyId\n\n\n\n1700000000000\nnonce-nonce-nonce\n";
        var expected = Convert.ToBase64String(
            HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(text)));

        // Act
        var mac = key.ComputeMac(text);

        // Assert
        Assert.Equal(expected, mac);
    }

    [Fact]
    public void ComputeMac_Handles_Text_Longer_Than_The_Stack_Buffer_And_Non_Ascii()
    {
        // Arrange
        var key = AblyKey.Parse(ValidKey);
        var text = new string('é', 2000) + "😀";
        var expected = Convert.ToBase64String(
            HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(text)));

        // Act
        var mac = key.ComputeMac(text);

        // Assert
        Assert.Equal(expected, mac);
    }

    [Fact]
    public void SecretEquals_Accepts_Only_The_Exact_Secret()
    {
        // Arrange
        var key = AblyKey.Parse(ValidKey);

        // Act
        var same = key.SecretEquals(Encoding.UTF8.GetBytes(Secret));
        var other = key.SecretEquals(Encoding.UTF8.GetBytes(Secret + "x"));

        // Assert
        Assert.True(same);
        Assert.False(other);
    }

    [Fact]
    public void Signing_Credentials_Are_Hs256_With_The_Key_Name_As_Kid()
    {
        // Arrange
        var key = AblyKey.Parse(ValidKey);

        // Act
        var credentials = key.SigningCredentials;

        // Assert
        Assert.Equal("HS256", credentials.Algorithm);
        Assert.Equal("appId.keyId", credentials.Key.KeyId);
    }

    [Fact]
    public void Basic_Credentials_Are_Base64_Of_Key_Name_Colon_Secret_As_Ably_Expects()
    {
        var key = AblyKey.Parse(ValidKey);

        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes(ValidKey)), key.BasicCredentials());
        Assert.Equal("appId.keyId", key.ToString());
    }

    [Fact]
    public void Derived_Identifiers_Are_An_Hmac_Under_The_Secret_Separated_By_Purpose()
    {
        var key = AblyKey.Parse(ValidKey);
        var other = AblyKey.Parse("appId.keyId:another-secret-another-secret-1234");

        var derived = key.DeriveIdentifier("revocation-key/session", "s1");

        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes("ably-auth-server\nrevocation-key/session\ns1"));
        Assert.Equal(Convert.ToBase64String(expected[..16]).TrimEnd('=').Replace('+', '-').Replace('/', '_'), derived);
        Assert.Equal(derived, key.DeriveIdentifier("revocation-key/session", "s1"));
        Assert.NotEqual(derived, key.DeriveIdentifier("revocation-key/account", "s1"));
        Assert.NotEqual(derived, key.DeriveIdentifier("revocation-key/session", "s2"));
        Assert.NotEqual(derived, other.DeriveIdentifier("revocation-key/session", "s1"));
    }
}
