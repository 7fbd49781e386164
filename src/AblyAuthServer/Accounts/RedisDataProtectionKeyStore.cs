using System.Xml.Linq;
using AblyAuthServer.Redis;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace AblyAuthServer.Accounts;

/// <summary>
/// The data protection key ring in a Redis list, for replicas on SQLite that share Redis (PostgreSQL keeps its own).
/// The official StackExchangeRedis package is not available in the versions this build resolves; this is its shape.
/// </summary>
internal sealed class RedisDataProtectionKeyStore(SharedRedis redis) : IXmlRepository
{
    private const string Key = SharedRedis.KeyPrefix + "data-protection-keys";

    public IReadOnlyCollection<XElement> GetAllElements() =>
        redis.Database.ListRange(Key).Select(value => XElement.Parse(value.ToString())).ToList().AsReadOnly();

    public void StoreElement(XElement element, string friendlyName) =>
        redis.Database.ListRightPush(Key, element.ToString(SaveOptions.DisableFormatting));
}
