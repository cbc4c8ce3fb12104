using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.Configuration;
using MmProxy.ProxyProtocol;
using MmProxy.Tests.TestSupport;
using MmProxy.Udp;

namespace MmProxy.Tests.Udp;

/// <summary>
/// A started <see cref="UdpListener"/> on 127.0.0.1 (port 0) with its loops, the upstream service
/// socket its flows forward to, and load balancer sockets. LOCAL datagrams need no privileges
/// (nothing is spoofed), so receive, flows, forwarding, replies and expiry all run here. The clock
/// is the one given (a FakeTimeProvider for expiry) or the system's. Waits are on events with a
/// deadline: a datagram arriving, or loop iterations (<see cref="SyncAsync"/>) until a counter moves.
/// </summary>
internal sealed class UdpLoopRig : IAsyncDisposable
{
    private readonly List<Socket> _sockets = [];
    private readonly Socket? _upstream;
    private bool _disposed;

    private UdpLoopRig(UdpListener listener, Socket? upstream, int upstreamPort, UdpCounters counters, AllowedSubnetsProvider subnets, ListLoggerFactory logs)
    {
        Listener = listener;
        _upstream = upstream;
        UpstreamPort = upstreamPort;
        Counters = counters;
        Subnets = subnets;
        Logs = logs;
        if (upstream is not null)
        {
            _sockets.Add(upstream);
        }
    }

    public UdpListener Listener { get; }

    /// <summary>The first (with one socket, the only) loop.</summary>
    public UdpLoop Loop => Listener.Loops[0];

    public IPEndPoint EndPoint => Listener.EndPoint;

    /// <summary>The service the flows forward to (bound unless the rig was started without it).</summary>
    public Socket Upstream => _upstream ?? throw new InvalidOperationException("started without an upstream");

    public int UpstreamPort { get; }

    public UdpCounters Counters { get; }

    public AllowedSubnetsProvider Subnets { get; }

    public ListLoggerFactory Logs { get; }

    /// <param name="time">The loops' clock; null: the system's.</param>
    /// <param name="closeAfter">--close-after (default 5 minutes: nothing expires by itself).</param>
    /// <param name="maxFlows">--max-udp-flows.</param>
    /// <param name="loops">Listening sockets (SO_REUSEPORT when more than one), one loop each.</param>
    /// <param name="bindUpstream">False: nothing listens on the target port (ICMP port unreachable).</param>
    /// <param name="subnets">Allowed senders; null: everyone.</param>
    /// <param name="gso">UDP GSO for replies.</param>
    /// <param name="header">--udp-header.</param>
    /// <param name="send">The sending side (mmproxy send) with this header, instead of the receiving side.</param>
    public static UdpLoopRig Start(
        TimeProvider? time = null,
        TimeSpan? closeAfter = null,
        int maxFlows = 16,
        int loops = 1,
        bool bindUpstream = true,
        AllowedSubnets? subnets = null,
        bool gso = true,
        UdpHeaderFormat header = UdpHeaderFormat.V2,
        SendHeaderFormat? send = null)
    {
        Socket? upstream = null;
        int port;
        if (bindUpstream)
        {
            upstream = LoopbackUdp.Bound();
            upstream.ReceiveBufferSize = 4 << 20;
            port = LoopbackUdp.EndPointOf(upstream).Port;
        }
        else
        {
            port = LoopbackUdp.FreePort();
        }

        ProxyOptions options = new ProxyOptionsBuilder
        {
            TargetV4 = new IPEndPoint(IPAddress.Loopback, port),
            TargetV6 = new IPEndPoint(IPAddress.IPv6Loopback, port),
            CloseAfter = closeAfter ?? TimeSpan.FromMinutes(5),
            MaxUdpFlows = maxFlows,
            UdpGso = gso,
            UdpHeader = header,
            Protocol = TransportProtocol.Udp,
            Role = send is null ? ListenerRole.Receive : ListenerRole.Send,
            SendHeader = send ?? SendHeaderFormat.V2,
        }.Build();
        UdpListener? listener = UdpListener.Open(new IPEndPoint(IPAddress.Loopback, 0), loops, out string? error);
        if (listener is null)
        {
            upstream?.Dispose();
            Assert.Fail("cannot open the UDP listener: " + error);
        }

        var counters = new UdpCounters();
        var provider = new AllowedSubnetsProvider(subnets ?? AllowedSubnets.AllowAll);
        var logs = new ListLoggerFactory();
        Assert.Null(listener.Start(options, provider, counters, logs, time ?? TimeProvider.System));
        var rig = new UdpLoopRig(listener, upstream, port, counters, provider, logs);
        Assert.False(listener.Completion.IsCompleted, "a loop failed to start: " + rig.Describe());
        Assert.Equal(loops, listener.Loops.Count);
        return rig;
    }

    public Socket Own(Socket socket)
    {
        _sockets.Add(socket);
        return socket;
    }

    /// <summary>A load balancer socket on 127.0.0.1 (replies arrive on it).</summary>
    public Socket NewBalancer() => Own(LoopbackUdp.Bound());

    /// <summary>A v2 LOCAL header and the payload: forwarded unspoofed, one flow per balancer endpoint.</summary>
    public static byte[] Local(string payload) =>
        [.. ProxyHeaderWriter.WriteV2(ProxyCommand.Local, ProxyFamily.Unspec, ProxyAddress.None, ProxyAddress.None), .. Encoding.ASCII.GetBytes(payload)];

    /// <summary>A v2 PROXY UDP4 header for <paramref name="client"/> and the payload: forwarded spoofed from the client.</summary>
    public byte[] Proxy(IPEndPoint client, string payload) =>
        [.. ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Udp4, ProxyAddress.FromIPEndPoint(client), ProxyAddress.FromIPEndPoint(EndPoint)),
         .. Encoding.ASCII.GetBytes(payload)];

    /// <summary>Sends a LOCAL datagram from <paramref name="balancer"/> to the listener.</summary>
    public void Send(Socket balancer, string payload) => balancer.SendTo(Local(payload), EndPoint);

    /// <summary>The next datagram the upstream service gets, as text, and the flow socket it came from.</summary>
    public Task<(string Text, IPEndPoint From)> ReceiveUpstreamAsync() => LoopbackUdp.ReceiveTextAsync(Upstream);

    /// <summary>Completes after every loop has run one whole iteration that started after this call.</summary>
    public Task SyncAsync() => Task.WhenAll(Listener.Loops.Select(loop => loop.SyncAsync())).WaitAsync(LoopbackUdp.Deadline);

    /// <summary>
    /// Lets the loops iterate until <paramref name="condition"/> holds (it reads state only the loops
    /// change, so checking after each iteration sees every change), then once more: the condition may
    /// have been met in the middle of an iteration (the receive count moves before the batch is
    /// classified), and what the test asserts next is that iteration's whole work. Fails past the deadline.
    /// </summary>
    public async Task UntilAsync(Func<bool> condition, string what)
    {
        var elapsed = Stopwatch.StartNew();
        while (!condition())
        {
            if (elapsed.Elapsed > LoopbackUdp.Deadline)
            {
                Assert.Fail($"timed out waiting for {what}: {Describe()}");
            }

            await SyncAsync();
        }

        await SyncAsync();
    }

    /// <summary>The counters and log, for failure messages.</summary>
    public string Describe()
    {
        UdpCounters c = Counters;
        return string.Create(CultureInfo.InvariantCulture,
            $"received {c.Received}, forwarded {c.Forwarded}, replies {c.Replies} (failed {c.ReplyFailures}), dropped {c.DescribeDrops()}, refused {c.UpstreamRefused}, " +
            $"flows open {Listener.FlowCount}, created {c.FlowsCreated}, expired {c.FlowsExpired}, receive errors {c.ReceiveErrors}; log:\n{Logs.Dump()}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            await Listener.DisposeAsync().AsTask().WaitAsync(LoopbackUdp.Deadline);
        }
        finally
        {
            foreach (Socket s in _sockets)
            {
                s.Dispose();
            }
        }

        if (Listener.Completion.IsFaulted)
        {
            // A loop died during the test: as loud as the proxy exiting non-zero.
            throw new InvalidOperationException("a UDP loop failed: " + Describe(), Listener.Completion.Exception);
        }
    }
}
