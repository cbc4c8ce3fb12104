using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using MmProxy.ProxyProtocol;
using MmProxy.Udp;

namespace MmProxy.Tests.Udp;

/// <summary>
/// A flow table with a manual clock and loopback sockets: a "listening" socket (replies leave from
/// it), a balancer socket (replies arrive on it) and an upstream service socket.
/// </summary>
internal sealed class FlowRig : IDisposable
{
    private readonly List<Socket> _sockets = [];

    public FlowRig(int maxFlows = 16, double closeAfterSeconds = 1)
    {
        Context = new UdpFlowContext(TimeSpan.FromSeconds(closeAfterSeconds), Time, Counters, NullLogger.Instance);
        Table = new UdpFlowTable(maxFlows);
        Listener = Own(LoopbackUdp.Bound());
        Balancer = Own(LoopbackUdp.Bound());
        Upstream = Own(LoopbackUdp.Bound());
    }

    public ManualTimeProvider Time { get; } = new();
    public UdpCounters Counters { get; } = new();
    public UdpFlowContext Context { get; }
    public UdpFlowTable Table { get; }
    public Socket Listener { get; }
    public Socket Balancer { get; }
    public Socket Upstream { get; }

    public Socket Own(Socket socket)
    {
        _sockets.Add(socket);
        return socket;
    }

    public static UdpFlowKey Key(int clientPort, int balancerPort = 9000) => new(
        ProxyAddress.FromIPEndPoint(new IPEndPoint(IPAddress.Loopback, balancerPort)),
        ProxyAddress.FromIPEndPoint(new IPEndPoint(IPAddress.Parse("192.0.2.1"), clientPort)));

    /// <summary>A flow whose upstream socket is connected to <paramref name="target"/> (default: the upstream socket), not yet in the table.</summary>
    public UdpFlow NewFlow(UdpFlowKey key, IPEndPoint? target = null)
    {
        target ??= LoopbackUdp.EndPointOf(Upstream);
        Socket socket = Own(LoopbackUdp.Bound());
        socket.Connect(target);
        return new UdpFlow(key, socket, Listener, LoopbackUdp.EndPointOf(Balancer).Serialize(), target, Table, Context);
    }

    /// <summary>Reserves, adds and starts a flow, as the datagram handler does.</summary>
    public UdpFlow AddFlow(UdpFlowKey key, IPEndPoint? target = null)
    {
        Assert.True(Table.TryReserve(), "table full");
        UdpFlow flow = NewFlow(key, target);
        Assert.True(Table.TryAdd(flow, out _), "key taken");
        flow.Start();
        return flow;
    }

    public void Dispose()
    {
        Table.Dispose();
        foreach (Socket s in _sockets)
        {
            s.Dispose();
        }
    }
}
