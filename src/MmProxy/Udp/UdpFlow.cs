using System.Net;
using MmProxy.Interop;
using MmProxy.Loop;

namespace MmProxy.Udp;

/// <summary>
/// One flow of a <see cref="UdpLoop"/>: its connected upstream socket (a raw descriptor in the
/// loop's epoll), the load balancer's sockaddr for replies, its expiry deadline, and scratch fields
/// for grouping a receive batch by flow. Touched by its loop's thread only.
/// </summary>
internal sealed class UdpFlow
{
    private readonly byte[]? _header;

    /// <param name="header">The header this flow puts in front of datagrams (see <see cref="Header"/>), or null.</param>
    public UdpFlow(UdpFlowKey key, int fd, in NativeSocketAddress balancer, IPEndPoint target, int slot, uint generation, byte[]? header = null)
    {
        _header = header;
        Key = key;
        Fd = fd;
        Balancer = balancer;
        Target = target;
        Slot = slot;
        Generation = generation;
        Expiry = new DeadlineNode<UdpFlow>(this);
    }

    public UdpFlowKey Key { get; }

    /// <summary>The upstream socket, owned by the flow (closed when it expires).</summary>
    public int Fd { get; }

    /// <summary>The load balancer's address, where replies go.</summary>
    public NativeSocketAddress Balancer { get; }

    public IPEndPoint Target { get; }

    /// <summary>
    /// The header this flow adds: receiving SPP, in front of every reply (the one the client's
    /// datagrams last came with); sending, in front of every datagram to the remote. Empty otherwise.
    /// </summary>
    public ReadOnlySpan<byte> Header => _header;

    /// <summary>Receiving SPP: keeps the header of the latest datagram (the same bytes on every datagram of a flow, so this is one compare).</summary>
    public void RememberHeader(ReadOnlySpan<byte> header)
    {
        if (_header is not null && !header.SequenceEqual(_header))
        {
            header.CopyTo(_header);
        }
    }

    public int Slot { get; }

    public uint Generation { get; }

    /// <summary>Epoll event data: generation and slot, so a stale event never reaches a new flow.</summary>
    public ulong EventData => ((ulong)Generation << 32) | (uint)Slot;

    /// <summary>Loop clock ticks of the last datagram either way.</summary>
    public long LastActivity { get; set; }

    /// <summary>Close-after past <see cref="LastActivity"/>; moved to the tail of the loop's list on activity.</summary>
    public DeadlineNode<UdpFlow> Expiry { get; }

    /// <summary>Datagrams forwarded to the upstream.</summary>
    public long ToUpstream { get; set; }

    /// <summary>Replies sent back to the load balancer.</summary>
    public long ToClient { get; set; }

    /// <summary>The receive batch that last counted this flow (grouping scratch).</summary>
    public long BatchStamp { get; set; }

    public int BatchStart { get; set; }

    public int BatchCount { get; set; }
}
