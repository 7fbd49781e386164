namespace AblyAuthServer.Accounts;

/// <summary>
/// One data protection key as XML; the same shape as Microsoft.AspNetCore.DataProtection.EntityFrameworkCore's entity, so
/// moving to that package later needs no data migration.
/// </summary>
public sealed class DataProtectionKey
{
    public int Id { get; set; }

    public string? FriendlyName { get; set; }

    public string? Xml { get; set; }
}
