using System.Net;
using System.Net.Sockets;
using MmProxy.Interop;

namespace MmProxy.Udp.EventLoop;

/// <summary>
/// One flow of a native loop: the connected upstream socket (its raw descriptor is in the loop's
/// epoll; the <see cref="Socket"/> object only owns it and is never used for I/O), the load
/// balancer's sockaddr for replies, activity for expiry, its place in the LRU list, and scratch
/// fields for grouping a receive batch by flow. Touched by its loop's thread only.
/// </summary>
internal sealed class UdpLoopFlow
{
    public UdpLoopFlow(UdpFlowKey key, Socket socket, in NativeSocketAddress balancer, IPEndPoint target, int slot, uint generation)
    {
        ArgumentNullException.ThrowIfNull(socket);
        Key = key;
        Socket = socket;
        Fd = (int)socket.Handle;
        Balancer = balancer;
        Target = target;
        Slot = slot;
        Generation = generation;
    }

    public UdpFlowKey Key { get; }

    public Socket Socket { get; }

    public int Fd { get; }

    /// <summary>The load balancer's address, where replies go.</summary>
    public NativeSocketAddress Balancer { get; }

    public IPEndPoint Target { get; }

    public int Slot { get; }

    public uint Generation { get; }

    /// <summary>Epoll event data: generation and slot, so a stale event never reaches a new flow.</summary>
    public ulong EventData => ((ulong)Generation << 32) | (uint)Slot;

    public long LastActivity { get; set; }

    public long ToUpstream { get; set; }

    public long ToClient { get; set; }

    public UdpLoopFlow? Previous { get; set; }

    public UdpLoopFlow? Next { get; set; }

    public bool InList { get; set; }

    /// <summary>The receive batch that last counted this flow (grouping scratch).</summary>
    public long BatchStamp { get; set; }

    public int BatchStart { get; set; }

    public int BatchCount { get; set; }
}
