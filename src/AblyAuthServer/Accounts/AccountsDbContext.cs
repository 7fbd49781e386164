using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace AblyAuthServer.Accounts;

/// <summary>
/// The account store: Identity's schema plus the Ably clientId and disabled flag. Everything outside Accounts/ resolves
/// this type; each provider has a subclass with its own migrations (<see cref="AccountStore"/> picks one).
/// </summary>
public abstract class AccountsDbContext(DbContextOptions options)
    : IdentityDbContext<AccountUser, IdentityRole, string>(options)
{
    public DbSet<LoginFailure> LoginFailures => Set<LoginFailure>();

    public DbSet<EndedSession> EndedSessions => Set<EndedSession>();

    public DbSet<RevocationEntry> RevocationOutbox => Set<RevocationEntry>();
    public DbSet<EmbeddedSigningKey> EmbeddedSigningKeys => Set<EmbeddedSigningKey>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.Entity<AccountUser>(user =>
        {
            user.Property(u => u.ClientId).HasMaxLength(128);
            user.Property(u => u.DisplayName).HasMaxLength(AccountAdministration.MaxDisplayNameLength);
            user.Property(u => u.IsDisabled).HasDefaultValue(false);
        });
        builder.Entity<LoginFailure>(failure =>
        {
            failure.ToTable("LoginFailures");
            failure.HasKey(f => f.NormalizedUserName);
            failure.Property(f => f.NormalizedUserName).HasMaxLength(LoginFailure.MaxNameLength);
            failure.HasIndex(f => f.LastFailureAt);
        });
        builder.Entity<EndedSession>(session =>
        {
            session.ToTable("EndedSessions");
            session.HasKey(s => s.SessionId);
            session.Property(s => s.SessionId).HasMaxLength(EndedSession.MaxIdLength);
            session.HasIndex(s => s.ExpiresAt);
        });
        builder.Entity<RevocationEntry>(entry =>
        {
            entry.ToTable("RevocationOutbox");
            entry.HasKey(e => e.Id);
            entry.Property(e => e.Reason).HasMaxLength(RevocationEntry.MaxReasonLength);
            entry.Property(e => e.UserId).HasMaxLength(RevocationEntry.MaxUserLength);
            entry.Property(e => e.UserName).HasMaxLength(RevocationEntry.MaxUserLength);
            entry.Property(e => e.State).HasConversion<string>().HasMaxLength(16);
            entry.Property(e => e.LeaseOwner).HasMaxLength(RevocationEntry.MaxOwnerLength);
            entry.Property(e => e.LastError).HasMaxLength(RevocationEntry.MaxErrorLength);
            // The worker's poll: pending rows that are due, every second on every replica.
            entry.HasIndex(e => new { e.State, e.NextAttemptAt });
        });
        builder.Entity<EmbeddedSigningKey>(key =>
        {
            key.ToTable("EmbeddedSigningKeys");
            key.HasKey(k => k.Id);
            key.Property(k => k.Id).HasMaxLength(EmbeddedSigningKey.MaxIdLength);
            key.HasIndex(k => k.Generation).IsUnique();
            key.Property(k => k.X).HasMaxLength(64);
            key.Property(k => k.Y).HasMaxLength(64);
        });
    }
}
