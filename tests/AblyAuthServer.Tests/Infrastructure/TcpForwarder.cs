using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>
/// A loopback TCP relay to a server. Stopping it looks to the app like the server going down (connections cut,
/// new ones refused) without stopping the PostgreSQL that other tests share; starting it again on the same port
/// brings the server "back".
/// </summary>
public sealed class TcpForwarder(string targetHost, int targetPort) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<Socket, byte> _sockets = new();
    private TcpListener? _listener;
    private Task? _accepting;

    private long _bytesToTarget;

    public int Port { get; private set; }

    /// <summary>Bytes relayed from clients to the server so far: what the app has sent it.</summary>
    public long BytesToTarget => Interlocked.Read(ref _bytesToTarget);

    public void Start()
    {
        _listener = new TcpListener(IPAddress.Loopback, Port);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync(_listener);
    }

    public async Task StopAsync()
    {
        _listener?.Stop();
        if (_accepting is not null)
        {
            await _accepting;
        }

        foreach (var socket in _sockets.Keys)
        {
            socket.Close();
        }

        _sockets.Clear();
        _listener = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task AcceptAsync(TcpListener listener)
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task CountedCopyAsync(Stream from, Stream to)
    {
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await from.ReadAsync(buffer)) > 0)
        {
            Interlocked.Add(ref _bytesToTarget, read);
            await to.WriteAsync(buffer.AsMemory(0, read));
        }
    }

    private async Task RelayAsync(Socket client)
    {
        using var server = new Socket(SocketType.Stream, ProtocolType.Tcp);
        _sockets[client] = 0;
        _sockets[server] = 0;
        try
        {
            await server.ConnectAsync(targetHost, targetPort);
            using var clientStream = new NetworkStream(client, ownsSocket: false);
            using var serverStream = new NetworkStream(server, ownsSocket: false);
            await Task.WhenAny(CountedCopyAsync(clientStream, serverStream), serverStream.CopyToAsync(clientStream));
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
        }
        finally
        {
            _sockets.TryRemove(client, out _);
            _sockets.TryRemove(server, out _);
            client.Close();
        }
    }
}
