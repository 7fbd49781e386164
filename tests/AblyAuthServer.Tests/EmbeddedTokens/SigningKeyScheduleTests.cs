using AblyAuthServer.EmbeddedTokens;

namespace AblyAuthServer.Tests.EmbeddedTokens;

/// <summary>The rotation schedule alone: which key signs, when the next is created, how long a key stays published.</summary>
public sealed class SigningKeyScheduleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly SigningKeySchedule Schedule = new(TimeSpan.FromDays(30), TimeSpan.FromDays(2), TimeSpan.FromMinutes(65));

    private static SigningKey Key(string id, long generation, DateTimeOffset activatesAt) => new(id, generation, activatesAt, "x", "y");

    [Fact]
    public void An_Empty_Store_Gets_A_First_Key_That_Signs_At_Once()
    {
        Assert.Equal((1L, T0), Schedule.Next([], T0));
    }

    [Fact]
    public void The_Next_Key_Is_Due_Prepublication_Before_The_Handover_And_Activates_At_The_Handover()
    {
        SigningKey[] keys = [Key("a", 1, T0)];

        Assert.Null(Schedule.Next(keys, T0 + TimeSpan.FromDays(28) - TimeSpan.FromTicks(1)));
        Assert.Equal((2L, T0 + TimeSpan.FromDays(30)), Schedule.Next(keys, T0 + TimeSpan.FromDays(28)));
    }

    [Fact]
    public void A_Late_Check_Still_Publishes_The_Next_Key_For_The_Whole_Prepublication()
    {
        SigningKey[] keys = [Key("a", 1, T0)];
        var late = T0 + TimeSpan.FromDays(29);

        Assert.Equal((2L, late + TimeSpan.FromDays(2)), Schedule.Next(keys, late));
    }

    [Fact]
    public void No_Further_Key_Is_Created_While_The_Next_One_Waits_To_Sign()
    {
        SigningKey[] keys = [Key("a", 1, T0), Key("b", 2, T0 + TimeSpan.FromDays(30))];

        Assert.Null(Schedule.Next(keys, T0 + TimeSpan.FromDays(29)));
        Assert.Null(Schedule.Next(keys, T0 + TimeSpan.FromDays(57) - TimeSpan.FromTicks(1)));
        Assert.Equal((3L, T0 + TimeSpan.FromDays(60)), Schedule.Next(keys, T0 + TimeSpan.FromDays(58)));
    }

    [Fact]
    public void The_Signer_Is_The_Latest_Activated_Key_Then_The_Later_Generation()
    {
        var a = Key("a", 1, T0);
        var b = Key("b", 2, T0 + TimeSpan.FromDays(30));
        var c = Key("c", 3, T0 + TimeSpan.FromDays(30));

        Assert.Null(SigningKeySchedule.Signer([b], T0));
        Assert.Same(a, SigningKeySchedule.Signer([a, b], T0 + TimeSpan.FromDays(30) - TimeSpan.FromTicks(1)));
        Assert.Same(b, SigningKeySchedule.Signer([b, a], T0 + TimeSpan.FromDays(30)));
        Assert.Same(c, SigningKeySchedule.Signer([c, a, b], T0 + TimeSpan.FromDays(31)));
    }

    [Fact]
    public void A_Retired_Key_Is_Published_For_The_Retention_After_Its_Successor_Activates_And_Then_No_Longer()
    {
        var a = Key("a", 1, T0);
        var b = Key("b", 2, T0 + TimeSpan.FromDays(30));
        SigningKey[] keys = [a, b];

        Assert.True(Schedule.IsPublished(b, keys, T0));
        Assert.True(Schedule.IsPublished(a, keys, T0 + TimeSpan.FromDays(30) + TimeSpan.FromMinutes(65) - TimeSpan.FromTicks(1)));
        Assert.False(Schedule.IsPublished(a, keys, T0 + TimeSpan.FromDays(30) + TimeSpan.FromMinutes(65)));
        Assert.True(Schedule.IsPublished(b, keys, T0 + TimeSpan.FromDays(300)));
        Assert.Equal(T0 + TimeSpan.FromDays(30), SigningKeySchedule.RetiresAt(a, keys));
        Assert.Null(SigningKeySchedule.RetiresAt(b, keys));
    }
}
