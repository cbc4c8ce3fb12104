using System.Runtime.CompilerServices;
using MmProxy.Interop;
using MmProxy.Udp;
using MmProxy.Udp.EventLoop;

namespace MmProxy.Tests.Udp.EventLoop;

/// <summary>The kernel structures as x86-64 lays them out, the LRU list, and engine selection.</summary>
public sealed class UdpNativeLayoutTests
{
    [Fact]
    public void Message_structures_have_the_x86_64_sizes()
    {
        Assert.Equal(16, Unsafe.SizeOf<IoVec>());
        Assert.Equal(56, Unsafe.SizeOf<MsgHdr>());
        Assert.Equal(64, Unsafe.SizeOf<MMsgHdr>());
    }

    [Fact]
    public void Lru_keeps_least_recent_first_and_moves_on_activity()
    {
        var lru = new UdpFlowLru();
        UdpLoopFlow a = Flow(1), b = Flow(2), c = Flow(3);
        lru.Append(a);
        lru.Append(b);
        lru.Append(c);
        Assert.Same(a, lru.Head);
        lru.MoveToTail(a);
        Assert.Same(b, lru.Head);
        Assert.Same(a, lru.Tail);
        lru.Remove(c);
        Assert.Equal(2, lru.Count);
        Assert.Same(b, lru.Head);
        Assert.Same(a, b.Next);
        lru.Remove(b);
        lru.Remove(a);
        Assert.Null(lru.Head);
        Assert.Null(lru.Tail);
        Assert.Equal(0, lru.Count);
        lru.MoveToTail(a); // not in the list: no effect
        Assert.Null(lru.Head);
    }

    [Theory]
    [InlineData("sockets", false)]
    [InlineData("SOCKETS", false)]
    [InlineData("loop", true)]
    [InlineData(" Loop ", true)]
    public void Engine_variable_selects_the_engine(string value, bool loop) =>
        Assert.Equal(loop && Epoll.IsSupported, UdpEngine.UseLoop(value));

    [Fact]
    public void Engine_default_applies_when_unset_or_unknown()
    {
        Assert.Equal(UdpEngine.DefaultIsLoop && Epoll.IsSupported, UdpEngine.UseLoop(null));
        Assert.Equal(UdpEngine.DefaultIsLoop && Epoll.IsSupported, UdpEngine.UseLoop("other"));
    }

    private static UdpLoopFlow Flow(int port)
    {
        var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        var key = new UdpFlowKey(ProxyProtocol.ProxyAddress.FromAddressBytes([127, 0, 0, 1], (ushort)port), ProxyProtocol.ProxyAddress.None);
        var flow = new UdpLoopFlow(key, socket, default, new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port), port, 1);
        socket.Dispose();
        return flow;
    }
}
