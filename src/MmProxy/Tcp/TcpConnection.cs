using System.Net;
using MmProxy.Loop;
using MmProxy.ProxyProtocol;

namespace MmProxy.Tcp;

/// <summary>
/// The state of one proxied connection on a <see cref="TcpLoop"/>. Pooled by the loop (one object
/// per slot, reused with a new <see cref="Generation"/> so stale epoll events are ignored); only the
/// loop thread touches it.
/// </summary>
internal sealed class TcpConnection
{
    public const uint NotRegistered = uint.MaxValue;

    public TcpConnection(int slot)
    {
        Slot = slot;
        PhaseDeadline = new DeadlineNode<TcpConnection>(this);
        IdleDeadline = new DeadlineNode<TcpConnection>(this);
        ToUpstream = new TcpDirection(RelayDirection.ToUpstream);
        ToClient = new TcpDirection(RelayDirection.ToClient);
    }

    public int Slot { get; }

    public uint Generation { get; private set; }

    public TcpPhase Phase { get; set; }

    public int ClientFd { get; set; } = -1;

    public int UpstreamFd { get; set; } = -1;

    /// <summary>The epoll interest registered for each descriptor; <see cref="NotRegistered"/> when not added.</summary>
    public uint ClientEvents { get; set; } = NotRegistered;

    public uint UpstreamEvents { get; set; } = NotRegistered;

    /// <summary>The load balancer's address (allocated once per connection: logs, allow list, target choice).</summary>
    public IPEndPoint Peer { get; set; } = null!;

    /// <summary>Stopwatch timestamp of the accept (durations in logs).</summary>
    public long Started { get; set; }

    /// <summary>Header bytes so far when they did not come in one read (rented; null otherwise).</summary>
    public byte[]? HeaderBuffer { get; set; }

    public int HeaderReceived { get; set; }

    /// <summary>The header's source (logs).</summary>
    public ProxyAddress Source { get; set; }

    /// <summary>The header's destination (--dynamic-destination connects there).</summary>
    public ProxyAddress Destination { get; set; }

    /// <summary>The header's source as an endpoint, or null without a client address.</summary>
    public IPEndPoint? ClientEndPoint { get; set; }

    public IPEndPoint Target { get; set; } = null!;

    /// <summary>The address the upstream socket binds (the client's, port 0 after a fallback), or null.</summary>
    public IPEndPoint? BindSource { get; set; }

    public long ConnectStarted { get; set; }

    /// <summary>Loop clock ticks of the last byte read from either side (idle timeout).</summary>
    public long LastActivity { get; set; }

    /// <summary>The header or connect deadline, whichever phase the connection is in.</summary>
    public DeadlineNode<TcpConnection> PhaseDeadline { get; }

    public DeadlineNode<TcpConnection> IdleDeadline { get; }

    public TcpDirection ToUpstream { get; }

    public TcpDirection ToClient { get; }

    /// <summary>Epoll event data for one of the two descriptors: generation, slot and side.</summary>
    public ulong EventData(bool upstream) => ((ulong)Generation << 32) | ((ulong)(uint)Slot << 1) | (upstream ? 1UL : 0UL);

    public TcpDirection Opposite(TcpDirection direction) => ReferenceEquals(direction, ToUpstream) ? ToClient : ToUpstream;

    public int SourceFd(TcpDirection direction) => direction.Direction == RelayDirection.ToUpstream ? ClientFd : UpstreamFd;

    public int DestinationFd(TcpDirection direction) => direction.Direction == RelayDirection.ToUpstream ? UpstreamFd : ClientFd;

    /// <summary>Clears the per-connection state for the next use of the slot.</summary>
    public void Reset()
    {
        Generation++;
        Phase = TcpPhase.Free;
        ClientFd = -1;
        UpstreamFd = -1;
        ClientEvents = NotRegistered;
        UpstreamEvents = NotRegistered;
        Peer = null!;
        HeaderBuffer = null;
        HeaderReceived = 0;
        Source = default;
        Destination = default;
        ClientEndPoint = null;
        Target = null!;
        BindSource = null;
        ToUpstream.Reset();
        ToClient.Reset();
    }
}
