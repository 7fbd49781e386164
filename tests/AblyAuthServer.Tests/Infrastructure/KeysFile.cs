namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>A temporary ABLY_KEYS_FILE, replaced the way a mounted secret is: written aside, then renamed over.</summary>
public sealed class KeysFile : IDisposable
{
    public KeysFile(params string[] keys)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"ably-keys-{Guid.NewGuid():N}.txt");
        Write(keys);
    }

    public string Path { get; }

    /// <summary>One key per line.</summary>
    public void Write(params string[] keys) => Write(string.Join('\n', keys) + "\n");

    public void Write(string content)
    {
        var staging = Path + ".new";
        File.WriteAllText(staging, content);
        File.Move(staging, Path, overwrite: true);
    }

    public void Dispose() => File.Delete(Path);
}
