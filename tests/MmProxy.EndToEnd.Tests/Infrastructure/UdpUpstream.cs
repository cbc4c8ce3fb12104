using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace MmProxy.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The UDP service behind mmproxy, in-process: bound to 127.0.0.1:port and [::1]:port in the server
/// namespace, records the source endpoint and payload of every datagram and (Echo) answers each
/// with "SOURCE|payload", so a client can check in-band which address the upstream saw.
/// </summary>
internal sealed class UdpUpstream : IAsyncDisposable
{
    private readonly Socket[] _sockets;
    private readonly UdpUpstreamMode _mode;
    private readonly Channel<UdpDatagramRecord> _received = Channel.CreateUnbounded<UdpDatagramRecord>();
    private readonly HashSet<IPEndPoint> _sources = [];
    private readonly List<UdpDatagramRecord> _firstFew = [];
    private readonly List<Task> _loops = [];
    private long _count;

    private UdpUpstream(Socket[] sockets, UdpUpstreamMode mode)
    {
        _sockets = sockets;
        _mode = mode;
    }

    public long Count => Interlocked.Read(ref _count);

    public static UdpUpstream Start(string ns, int port, UdpUpstreamMode mode)
    {
        Socket[] sockets = NetworkNamespace.Run(ns, () => new[]
        {
            new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp),
            new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp),
        });
        try
        {
            sockets[1].DualMode = false;
            sockets[0].Bind(new IPEndPoint(IPAddress.Loopback, port));
            sockets[1].Bind(new IPEndPoint(IPAddress.IPv6Loopback, port));
            foreach (Socket s in sockets)
            {
                s.ReceiveBufferSize = 4 * 1024 * 1024;
            }
        }
        catch
        {
            foreach (Socket s in sockets)
            {
                s.Dispose();
            }
            throw;
        }
        var upstream = new UdpUpstream(sockets, mode);
        foreach (Socket s in sockets)
        {
            upstream._loops.Add(upstream.LoopAsync(s));
        }
        return upstream;
    }

    /// <summary>Every distinct source endpoint seen so far.</summary>
    public IPEndPoint[] Sources
    {
        get
        {
            lock (_sources)
            {
                return [.. _sources];
            }
        }
    }

    private async Task LoopAsync(Socket socket)
    {
        byte[] buffer = new byte[70000];
        byte[] reply = new byte[70000];
        EndPoint any = socket.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
        while (true)
        {
            SocketReceiveFromResult r;
            try
            {
                r = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                return;
            }
            var source = (IPEndPoint)r.RemoteEndPoint;
            byte[] payload = buffer.AsSpan(0, r.ReceivedBytes).ToArray();
            var record = new UdpDatagramRecord(source, payload);
            Interlocked.Increment(ref _count);
            lock (_sources)
            {
                _sources.Add(source);
                if (_firstFew.Count < 20)
                {
                    _firstFew.Add(record);
                }
            }
            _received.Writer.TryWrite(record);
            if (_mode != UdpUpstreamMode.Silent)
            {
                int n = _mode == UdpUpstreamMode.Echo ? Encoding.ASCII.GetBytes(source + "|", reply) : 0;
                payload.CopyTo(reply.AsSpan(n));
                try
                {
                    await socket.SendToAsync(reply.AsMemory(0, n + payload.Length), SocketFlags.None, source);
                }
                catch (SocketException)
                {
                    // The flow may be gone; the test sees the missing reply.
                }
            }
        }
    }

    /// <summary>The next datagram received (in arrival order), or a timeout.</summary>
    public async Task<UdpDatagramRecord> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TestNetwork.DefaultTimeout);
        try
        {
            return await _received.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the UDP upstream received nothing more within {(timeout ?? TestNetwork.DefaultTimeout).TotalSeconds} s ({Count} so far)");
        }
    }

    /// <summary>Drops what was recorded so far from the <see cref="NextAsync"/> queue.</summary>
    public void DrainQueue()
    {
        while (_received.Reader.TryRead(out _))
        {
        }
    }

    public string Describe()
    {
        lock (_sources)
        {
            var sb = new StringBuilder($"=== UDP upstream ({_mode}): {Count} datagram(s) from {_sources.Count} source(s)\n");
            foreach (UdpDatagramRecord r in _firstFew)
            {
                sb.Append("  ").Append(r.Source).Append(" ").Append(r.Payload.Length).Append(" bytes: ")
                  .Append(Encoding.ASCII.GetString(r.Payload, 0, Math.Min(r.Payload.Length, 60)).ReplaceLineEndings(" ")).Append('\n');
            }
            return sb.ToString();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (Socket s in _sockets)
        {
            s.Dispose();
        }
        await Task.WhenAll(_loops);
    }
}
