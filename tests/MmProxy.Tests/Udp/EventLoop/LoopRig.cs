using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using MmProxy.Configuration;
using MmProxy.ProxyProtocol;
using MmProxy.Udp;
using MmProxy.Udp.EventLoop;

namespace MmProxy.Tests.Udp.EventLoop;

/// <summary>
/// The native loop engine over loopback with the real clock: LOCAL datagrams need no privileges
/// (nothing is spoofed), so receive, flows, forwarding, replies and expiry all run here.
/// </summary>
internal sealed class LoopRig : IAsyncDisposable
{
    private readonly List<Socket> _sockets = [];

    private LoopRig(UdpEventLoopGroup group, Socket upstream, int upstreamPort, UdpFlowTable table, UdpCounters counters)
    {
        Group = group;
        Upstream = upstream;
        UpstreamPort = upstreamPort;
        Table = table;
        Counters = counters;
        if (upstream is not null)
        {
            _sockets.Add(upstream);
        }
    }

    public UdpEventLoopGroup Group { get; }
    public Socket Upstream { get; }
    public int UpstreamPort { get; }
    public UdpFlowTable Table { get; }
    public UdpCounters Counters { get; }
    public IPEndPoint EndPoint => Group.EndPoint;

    /// <param name="closeAfter">--close-after.</param>
    /// <param name="maxFlows">--max-udp-flows.</param>
    /// <param name="listeners">Loops (SO_REUSEPORT sockets).</param>
    /// <param name="bindUpstream">False: nothing listens on the target port (ICMP port unreachable).</param>
    public static LoopRig Start(TimeSpan? closeAfter = null, int maxFlows = 16, int listeners = 1, bool bindUpstream = true)
    {
        Socket? upstream = null;
        int port;
        if (bindUpstream)
        {
            upstream = LoopbackUdp.Bound();
            upstream.ReceiveBufferSize = 8 << 20;
            port = LoopbackUdp.EndPointOf(upstream).Port;
        }
        else
        {
            port = LoopbackUdp.FreePort();
        }

        var counters = new UdpCounters();
        var context = new UdpFlowContext(closeAfter ?? TimeSpan.FromMinutes(5), TimeProvider.System, counters, NullLogger.Instance);
        var table = new UdpFlowTable(maxFlows);
        var target = new IPEndPoint(IPAddress.Loopback, port);
        var handler = new UdpDatagramHandler(ProxyHeaderParser.Default, table,
            new UdpUpstreamOpener(target, new IPEndPoint(IPAddress.IPv6Loopback, port), 0), context);
        UdpEventLoopGroup? group = UdpEventLoopGroup.Open(new IPEndPoint(IPAddress.Loopback, 0), listeners, NullLogger.Instance, out string? error);
        Assert.True(group is not null, error);
        group.Start(handler, new AllowedSubnetsProvider(AllowedSubnets.AllowAll));
        return new LoopRig(group, upstream!, port, table, counters);
    }

    public Socket Own(Socket socket)
    {
        _sockets.Add(socket);
        return socket;
    }

    public Socket NewBalancer() => Own(LoopbackUdp.Bound());

    public static byte[] Local(string payload) => HandlerRig.Local(payload);

    public void Send(Socket balancer, string payload) => balancer.SendTo(Local(payload), EndPoint);

    public async ValueTask DisposeAsync()
    {
        await Group.DisposeAsync();
        Table.Dispose();
        foreach (Socket s in _sockets)
        {
            s.Dispose();
        }
    }
}
