using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.Configuration;
using MmProxy.Diagnostics;
using MmProxy.Interop;
using MmProxy.Tcp;
using MmProxy.Tests.TestSupport;
using TcpListener = MmProxy.Tcp.TcpListener;

namespace MmProxy.Tests.Tcp;

/// <summary>
/// The real TCP engine in this process: a <see cref="TcpListener"/> (127.0.0.1, kernel-chosen port,
/// unless told otherwise) with its loops, and an upstream listener on 127.0.0.1 that the IPv4
/// target points at unless the test configures another. Upstream sockets are transparent: sources
/// on 127.0.0.x and ::1 need no policy routing, so the upstream sees exactly the header's source.
/// Needs root (CAP_NET_ADMIN for IP_TRANSPARENT) and fails loudly without it.
/// </summary>
internal sealed class TcpLoopRig : IAsyncDisposable
{
    private readonly TcpListener _listener;

    private TcpLoopRig(TcpListener listener, Socket upstream, ListLoggerFactory logs, ProxyCounters counters)
    {
        _listener = listener;
        Upstream = upstream;
        Logs = logs;
        Counters = counters;
    }

    /// <summary>Where clients connect (127.0.0.1 and the port for a wildcard listener).</summary>
    public IPEndPoint EndPoint => _listener.EndPoint.Address.Equals(IPAddress.Any) || _listener.EndPoint.Address.Equals(IPAddress.IPv6Any)
        ? new IPEndPoint(IPAddress.Loopback, _listener.EndPoint.Port)
        : _listener.EndPoint;

    /// <summary>The default IPv4 target's listening socket.</summary>
    public Socket Upstream { get; }

    public IPEndPoint UpstreamEndPoint => (IPEndPoint)Upstream.LocalEndPoint!;

    public ListLoggerFactory Logs { get; }

    public ProxyCounters Counters { get; }

    public IReadOnlyList<TcpLoop> Loops => _listener.Loops;

    /// <summary>The only loop (one listener socket).</summary>
    public TcpLoop Loop => Assert.Single(_listener.Loops);

    public static TcpLoopRig Start(
        Action<ProxyOptionsBuilder>? configure = null, AllowedSubnets? subnets = null, IPEndPoint? listen = null, TimeProvider? time = null)
    {
        Assert.True(TransparentSocket.Probe(AddressFamily.InterNetwork) == Errno.Success,
            "the TCP loop tests need root (CAP_NET_ADMIN for IP_TRANSPARENT): run them as root");
        Socket upstream = Loopback.Listen(new IPEndPoint(IPAddress.Loopback, 0));
        var builder = new ProxyOptionsBuilder { TargetV4 = (IPEndPoint)upstream.LocalEndPoint! };
        configure?.Invoke(builder);
        ProxyOptions options = builder.Build();
        var logs = new ListLoggerFactory();
        var counters = new ProxyCounters();
        TcpListener listener = TcpListener.Open(listen ?? new IPEndPoint(IPAddress.Loopback, 0), options.Listeners, 128, out string? error)
            ?? throw new InvalidOperationException(error);
        Assert.Null(listener.Start(options, new AllowedSubnetsProvider(subnets ?? AllowedSubnets.AllowAll), counters, logs, time ?? TimeProvider.System));
        return new TcpLoopRig(listener, upstream, logs, counters);
    }

    /// <summary>Completes after every loop ran a whole iteration whose clock was read after the call (timers due by then have fired).</summary>
    public Task SyncAsync() =>
        (Loops.Count == 1 ? Loops[0].SyncAsync() : Task.WhenAll(Loops.Select(l => l.SyncAsync()))).WaitAsync(Loopback.Deadline);

    /// <summary>
    /// Every socket event that happened before the call has been handled: the first sync's iteration
    /// may have collected its events before the call, the second's epoll_wait began after it.
    /// </summary>
    public async Task SettleAsync()
    {
        await SyncAsync();
        await SyncAsync();
    }

    /// <summary>Waits, iteration by iteration, until <paramref name="condition"/> holds, then for the iteration that made it hold to end.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(Loopback.Deadline.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            Assert.True(Stopwatch.GetTimestamp() < deadline, $"timed out waiting for {what}; log:\n{Logs.Dump()}");
            await SyncAsync();
        }

        await SyncAsync();
    }

    /// <summary>A client connection to the proxy, accepted by the loop (the header timeout runs from there).</summary>
    public async Task<Socket> ConnectAsync()
    {
        long accepted = Counters.Accepted;
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(EndPoint).WaitAsync(Loopback.Deadline);
        await WaitUntilAsync(() => Counters.Accepted > accepted, "the loop to accept the connection");
        return socket;
    }

    /// <summary>The next connection the upstream accepted.</summary>
    public Task<Socket> AcceptAsync() => Upstream.AcceptAsync().WaitAsync(Loopback.Deadline);

    /// <summary>
    /// A proxied pair with a v1 header from a client of its own (<see cref="NewClientEndPoint"/>)
    /// and <paramref name="early"/> bytes after it, in the same write; the upstream sees exactly that
    /// source and gets the early bytes first. The relay runs once the early bytes came through.
    /// </summary>
    public async Task<(Socket Client, Socket Server)> OpenAsync(string early = "")
    {
        IPEndPoint source = NewClientEndPoint();
        Socket client = await ConnectAsync();
        await Loopback.SendAllAsync(client, Encoding.ASCII.GetBytes($"PROXY TCP4 {source.Address} 127.0.0.1 {source.Port} 443\r\n{early}"));
        Socket server = await AcceptAsync();
        Assert.Equal(source, server.RemoteEndPoint);
        if (early.Length > 0)
        {
            Assert.Equal(early, Encoding.ASCII.GetString(await Loopback.ReadExactlyAsync(server, early.Length)));
        }

        return (client, server);
    }

    /// <summary>
    /// A client address of its own (127.x.y.z, all routed to loopback): a connection that ended in
    /// TIME_WAIT on the proxy's side, in this run or an earlier one, never stands in its way.
    /// </summary>
    public static IPAddress NewClientAddress() =>
        new([127, (byte)Random.Shared.Next(16, 255), (byte)Random.Shared.Next(1, 255), (byte)Random.Shared.Next(1, 255)]);

    /// <summary>A client of its own, on a port connect can reserve (<see cref="FreeClientPort"/>).</summary>
    public static IPEndPoint NewClientEndPoint() => new(NewClientAddress(), FreeClientPort());

    /// <summary>
    /// A port inside ip_local_port_range that no TCP socket here uses: a port some socket bind()s
    /// (a listener, or its connections in TIME_WAIT) cannot be reserved at connect, which would
    /// send the loop down its bind() path instead.
    /// </summary>
    public static int FreeClientPort()
    {
        (int low, int high) = LocalPortRange();
        var used = new HashSet<int>();
        foreach (string table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            foreach (string line in File.ReadLines(table).Skip(1))
            {
                // "  sl  local_address rem_address ...": the local address is "hex-ip:hex-port".
                string local = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
                used.Add(int.Parse(local.AsSpan(local.IndexOf(':', StringComparison.Ordinal) + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            }
        }

        for (int attempt = 0; attempt < 1000; attempt++)
        {
            int port = Random.Shared.Next(low, high + 1);
            if (!used.Contains(port))
            {
                return port;
            }
        }

        throw new InvalidOperationException("no free port in ip_local_port_range");
    }

    public static (int Low, int High) LocalPortRange()
    {
        string[] range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        return (int.Parse(range[0], CultureInfo.InvariantCulture), int.Parse(range[1], CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// The one established TCP socket of this process whose local address is <paramref name="local"/>
    /// (the proxy's end of a connection: at the listener's address for a client, at the client's
    /// address for an upstream), found among this process's descriptors.
    /// </summary>
    public static int DescriptorAt(IPEndPoint local)
    {
        const int TcpEstablished = 1;
        int[] found = Directory.GetFileSystemEntries("/proc/self/fd")
            .Select(path => int.TryParse(Path.GetFileName(path), out int fd) ? fd : -1)
            .Where(fd => fd >= 0 && RawSocket.LocalEndPoint(fd) is { } bound && bound.Equals(local) && RawSocket.TcpState(fd) == TcpEstablished)
            .ToArray();
        return Assert.Single(found);
    }

    /// <summary>Whether a log event with <paramref name="eventId"/> contains <paramref name="text"/>.</summary>
    public bool Logged(int eventId, string text) =>
        Logs.Events.Any(e => e.EventId.Id == eventId && e.Message.Contains(text, StringComparison.Ordinal));

    /// <summary>The upstream was never connected to.</summary>
    public void AssertNoUpstreamConnection() => Assert.False(Upstream.Poll(0, SelectMode.SelectRead), "the upstream got a connection");

    /// <summary>Stops accepting and closes the listening sockets; open connections run on.</summary>
    public ValueTask StopAsync() => _listener.DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        await _listener.DisposeAsync();
        Upstream.Dispose();
    }
}
