using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using MmProxy.Configuration;
using MmProxy.ProxyProtocol;
using MmProxy.Udp;

namespace MmProxy.Tests.Udp;

/// <summary>
/// The datagram handler over loopback with a manual clock: LOCAL datagrams need no privileges
/// (nothing is spoofed), so the whole path (classify, table, open, send, reply) runs here.
/// </summary>
internal sealed class HandlerRig : IDisposable
{
    private readonly List<Socket> _sockets = [];

    public HandlerRig(int maxFlows = 16, AllowedSubnets? subnets = null)
    {
        Listener = Own(LoopbackUdp.Bound());
        Upstream = Own(LoopbackUdp.Bound());
        Context = new UdpFlowContext(TimeSpan.FromSeconds(1), Time, Counters, NullLogger.Instance);
        Table = new UdpFlowTable(maxFlows);
        IPEndPoint target = LoopbackUdp.EndPointOf(Upstream);
        Handler = new UdpDatagramHandler(ProxyHeaderParser.Default, Table,
            new UdpUpstreamOpener(target, new IPEndPoint(IPAddress.IPv6Loopback, target.Port), 0), Context);
        Filter = new UdpPeerFilter(new AllowedSubnetsProvider(subnets ?? AllowedSubnets.AllowAll));
    }

    public ManualTimeProvider Time { get; } = new();
    public UdpCounters Counters { get; } = new();
    public UdpFlowContext Context { get; }
    public UdpFlowTable Table { get; }
    public UdpDatagramHandler Handler { get; }
    public UdpPeerFilter Filter { get; }
    public Socket Listener { get; }
    public Socket Upstream { get; }

    public Socket Own(Socket socket)
    {
        _sockets.Add(socket);
        return socket;
    }

    /// <summary>A balancer socket (replies arrive on it).</summary>
    public Socket NewBalancer() => Own(LoopbackUdp.Bound());

    public static byte[] Local(string payload) =>
        [.. ProxyHeaderWriter.WriteV2(ProxyCommand.Local, ProxyFamily.Unspec, ProxyAddress.None, ProxyAddress.None), .. System.Text.Encoding.ASCII.GetBytes(payload)];

    /// <summary>As if <paramref name="datagram"/> had arrived on the listener from <paramref name="balancer"/>.</summary>
    public void Deliver(Socket balancer, byte[] datagram) =>
        Handler.Handle(Listener, datagram, LoopbackUdp.EndPointOf(balancer).Serialize(), Filter);

    public void Dispose()
    {
        Table.Dispose();
        foreach (Socket s in _sockets)
        {
            s.Dispose();
        }
    }
}
